"""The portal's model of its data, as data: the warehouse's tables (`tables.py` and the modules it gathers) and the
bill's line types (`line_types.py`). Everything that lists these concepts elsewhere derives from here."""
