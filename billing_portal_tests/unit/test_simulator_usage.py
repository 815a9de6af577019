"""Hourly usage: shapes, activity patterns and the exact topic split."""

from datetime import date

import numpy as np
import pytest

from billing_portal.simulator import build_model
from billing_portal.simulator.usage import ALWAYS, BATCH, BUSINESS, MAX_HOURLY_BYTES, SPARSE

DAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def model():
    return build_model(42, "medium")


def test_shapes_and_bounds(model):
    u = model.usage(DAY)
    n = model.usage_profile.n_pairs
    assert u.request_bytes.shape == u.response_bytes.shape == (n, 24)
    assert u.request_bytes.dtype == np.int64
    assert (u.request_bytes >= 0).all() and (u.request_bytes <= MAX_HOURLY_BYTES).all()
    # a pair is active in an hour in both directions or in neither
    assert np.array_equal(u.request_bytes > 0, u.response_bytes > 0)


def test_activity_patterns(model):
    u = model.usage(DAY)
    active_hours = (u.request_bytes > 0).sum(axis=1)
    pattern = model.usage_profile.pattern
    assert np.median(active_hours[pattern == ALWAYS]) >= 23
    assert active_hours[pattern == BUSINESS].max() <= 12
    assert active_hours[pattern == BATCH].max() <= 4
    assert 0 < np.mean(active_hours[pattern == SPARSE]) < 12
    assert (active_hours < 24).sum() > n_pairs_fraction(model, 0.2)


def n_pairs_fraction(model, share):
    return int(model.usage_profile.n_pairs * share)


def test_diurnal_shape_has_a_peak(model):
    u = model.usage(DAY)
    always = model.usage_profile.pattern == ALWAYS
    hourly = u.request_bytes[always].sum(axis=0)
    assert hourly.max() > 1.3 * hourly.min()


def test_topic_traffic_is_an_exact_split_of_principal_traffic(model):
    u = model.usage(DAY)
    n_clusters = len(model.kafka_clusters)
    by_cluster_req = np.zeros((n_clusters, 24), dtype=np.int64)
    by_cluster_resp = np.zeros((n_clusters, 24), dtype=np.int64)
    np.add.at(by_cluster_req, model.usage_profile.cluster, u.request_bytes)
    np.add.at(by_cluster_resp, model.usage_profile.cluster, u.response_bytes)
    topic_req = np.zeros((n_clusters, 24), dtype=np.int64)
    topic_resp = np.zeros((n_clusters, 24), dtype=np.int64)
    np.add.at(topic_req, model.topic_profile.cluster, u.topic_received)
    np.add.at(topic_resp, model.topic_profile.cluster, u.topic_sent)
    assert np.array_equal(by_cluster_req, topic_req)
    assert np.array_equal(by_cluster_resp, topic_resp)
    assert (u.topic_received >= 0).all()
    assert np.array_equal(u.cluster_request_total, by_cluster_req.sum(axis=1))


def test_retained_bytes_is_a_positive_gauge(model):
    u = model.usage(DAY)
    assert (u.topic_retained > 0).all()
    ratio = u.topic_retained[:, 23] / u.topic_retained[:, 0]
    assert (ratio > 0.9).all() and (ratio < 1.3).all()


def test_usage_is_cached_per_day(model):
    assert model.usage(DAY) is model.usage(DAY)
