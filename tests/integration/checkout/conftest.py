"""Fixtures of checkout's cross-service tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nceflow.devstack.topic_reader import TopicReader


@pytest.fixture
def topic_reader() -> Callable[[str, str], TopicReader]:
    """`async with topic_reader(bootstrap, topic) as reader:` collects a topic's events."""
    return TopicReader
