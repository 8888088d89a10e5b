import Testing
@testable import GatewayCore

/// curl prunes its DNS cache once a second instead of after every transfer
/// (`DNSPruneSchedule`): the first transfer of each second carries the 60 s lifetime.
@Suite struct TransportDNSPruneTests {
    @Test func theFirstTransferOfEachSecondCarriesTheLifetime() {
        var s = DNSPruneSchedule()
        #expect(s.timeout(atSecond: 5) == 60)
        #expect(s.timeout(atSecond: 5) == -1)
        #expect(s.timeout(atSecond: 5) == -1)
        #expect(s.timeout(atSecond: 6) == 60)
        #expect(s.timeout(atSecond: 6) == -1)
        #expect(s.timeout(atSecond: 9) == 60)
        #expect(s.timeout(atSecond: 0) == 60)
    }

    @Test func transfersByNameWithinASecondPruneOnceAndTheNextSecondAgain() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let clock = ManualClock()
        let thread = try EventLoopThread(name: "dns-prune", clock: clock)
        let transport = try CurlTransport(loop: thread.loop, configuration: CurlTransportConfiguration(allowPlainHTTPToLoopback: true))
        defer {
            thread.loop.execute { transport.shutdown() }
            thread.stopAndJoinBounded()
        }
        func count() async throws -> Int {
            try await thread.loop.runBounded("a read of the prune count") { transport.dnsPruningTransfers }
        }
        // By name, so each new connection looks the name up in curl's cache.
        let byName = UpstreamRequest(url: "http://localhost:\(server.port)/a")
        let byAddress = UpstreamRequest(url: server.baseURL + "/b")
        for r in [byName, byAddress, byName] {
            let answer = try await transport.send(r)
            #expect(answer.status == 200)
            #expect(answer.header("X-Echo-Target") == (r.url.hasSuffix("/a") ? "/a" : "/b"))
        }
        #expect(try await count() == 1)
        clock.advance(by: .seconds(1))
        for r in [byName, byName] { #expect(try await transport.send(r).status == 200) }
        #expect(try await count() == 2)
        clock.advance(by: .seconds(61))
        #expect(try await transport.send(byName).status == 200)
        #expect(try await count() == 3)
    }
}
