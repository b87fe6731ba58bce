"""Setup methods written as if pytest awaited them (it never does)."""


class MetricsTestBase:
    def setup_method(self, method):
        self.events = [method.__name__]

    def teardown_method(self, method):
        self.events.clear()


class TestMetricsCollector(MetricsTestBase):
    async def setup_method(self, method):
        await super().setup_method(method)
        self._metrics = {"calls": 0}

    async def teardown_method(self, method):
        self._metrics.clear()
        await super().teardown_method(method)

    def test_metrics_start_empty(self):
        assert self._metrics == {"calls": 0}
        assert self.events == ["test_metrics_start_empty"]


class TestConnectionPool:
    async def setup_method(self):
        self.pool = []

    def test_pool_starts_empty(self):
        assert self.pool == []
