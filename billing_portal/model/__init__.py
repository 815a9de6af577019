"""The portal's model of its data, as data: bill line types (`line_types.py`). Everything that lists these
concepts elsewhere derives from here."""
