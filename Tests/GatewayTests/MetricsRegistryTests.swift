import Testing
@testable import Gateway

@Suite("Metrics: Prometheus text exposition")
struct MetricsRegistryTests {
    @Test func countersAndHistogramsRenderInTheTextFormat() {
        let m = MetricsRegistry()
        m.declare("x_total", .counter, help: "Things.\nCounted.")
        m.declare("y_seconds", .histogram, help: "Time.", buckets: [0.1, 1])
        m.increment("x_total", [("route", "GET /contacts"), ("code", "200")])
        m.increment("x_total", [("route", "GET /contacts"), ("code", "200")])
        m.increment("x_total", [("route", "a\"b\\c\nd"), ("code", "500")], by: 0.5)
        m.observe("y_seconds", [("upstream", "pipedrive")], 0.05)
        m.observe("y_seconds", [("upstream", "pipedrive")], 0.5)
        m.observe("y_seconds", [("upstream", "pipedrive")], 3)
        m.increment("undeclared_total")
        #expect(m.exposition() == """
        # HELP x_total Things.\\nCounted.
        # TYPE x_total counter
        x_total{route="GET /contacts",code="200"} 2
        x_total{route="a\\"b\\\\c\\nd",code="500"} 0.5
        # HELP y_seconds Time.
        # TYPE y_seconds histogram
        y_seconds_bucket{upstream="pipedrive",le="0.1"} 1
        y_seconds_bucket{upstream="pipedrive",le="1"} 2
        y_seconds_bucket{upstream="pipedrive",le="+Inf"} 3
        y_seconds_sum{upstream="pipedrive"} 3.55
        y_seconds_count{upstream="pipedrive"} 3

        """)
        #expect(m.value("x_total", [("route", "GET /contacts"), ("code", "200")]) == 2)
    }

    @Test func theSixFixedNamesAreDeclaredBeforeAnySample() {
        let text = GatewayMetrics.registry().exposition()
        for name in ["crmgw_requests_total", "crmgw_request_duration_seconds", "crmgw_upstream_requests_total",
                     "crmgw_upstream_duration_seconds", "crmgw_cache_lookups_total", "crmgw_ratelimit_wait_seconds",
                     "crmgw_ratelimit_rejections_total", "crmgw_events_received_total"] {
            #expect(text.contains("# TYPE \(name) "), "\(name)")
        }
    }
}
