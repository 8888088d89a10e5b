@testable import Gateway
import GatewayCore
import Synchronization

/// An in-memory contacts source with page-number paging (like HotProfile or Text Request),
/// for testing the API layer straight through the router, with no sockets.
final class FakeContacts: ResourceSource, @unchecked Sendable {
    let source: String
    let kinds: [String]
    let records: [String: [Contact]]
    let supported: Set<ListFilter.Name>
    let maxPage: Int
    private let state = Mutex<(calls: [String], failNext: [GatewayError], created: [ContactWrite])>(([], [], []))

    init(source: String, kinds: [String] = ["person"], count: Int, supported: Set<ListFilter.Name> = [.q, .updated_since], maxPage: Int = 100) {
        self.source = source
        self.kinds = kinds
        var r: [String: [Contact]] = [:]
        for k in kinds {
            r[k] = (1...max(1, count)).prefix(count).map { i in
                var c = Contact(id: UnifiedID(source: source, kind: k, remote: String(i)))
                c.displayName = "\(source) \(k) \(i)"
                c.raw = ["n": .int(i)]
                return c
            }
        }
        records = r
        self.supported = supported
        self.maxPage = maxPage
    }

    var calls: [String] { state.withLock { $0.calls } }
    var created: [ContactWrite] { state.withLock { $0.created } }
    func failNext(_ e: GatewayError, times: Int = 1) { state.withLock { for _ in 0..<times { $0.failNext.append(e) } } }

    private func enter(_ call: String) throws(GatewayError) {
        let e: GatewayError? = state.withLock {
            $0.calls.append(call)
            return $0.failNext.isEmpty ? nil : $0.failNext.removeFirst()
        }
        if let e { throw e }
    }

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .create, .update, .delete] }
    func filters(kind: String) -> Set<ListFilter.Name> { supported }
    func maxPageSize(kind: String) -> Int { maxPage }

    func validate(kind: String, _ write: ContactWrite, creating: Bool) -> [FieldError] {
        var e: [FieldError] = []
        if let l = write.lastName.value, l.count > 10 { e.append(FieldError("last_name", "at most 10 characters")) }
        if creating, write.displayName.value == nil { e.append(FieldError("display_name", "required")) }
        return e
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Contact> {
        let n = Int(page.token ?? "0") ?? 0
        try enter("list \(kind) page=\(n) size=\(page.size)")
        let all = records[kind] ?? []
        let items = Array(all.dropFirst(n * page.size).prefix(page.size))
        let more = (n + 1) * page.size < all.count
        return SourcePage(items: items, next: more ? String(n + 1) : nil)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Contact {
        try enter("get \(id)")
        guard let c = records[id.kind]?.first(where: { $0.id == id }) else {
            throw .upstream(source: source, status: 404, body: Array(#"{"error":"gone"}"#.utf8))
        }
        return c
    }

    func create(kind: String, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        try enter("create \(kind)")
        state.withLock { $0.created.append(write) }
        var c = Contact(id: UnifiedID(source: source, kind: kind, remote: "new\(created.count)"))
        c.displayName = write.displayName.value
        return c
    }

    func update(_ id: UnifiedID, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        try enter("update \(id)")
        var c = Contact(id: id)
        c.displayName = write.displayName.value
        return c
    }

    func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) {
        try enter("delete \(id)")
    }
}

struct FakeAdapter: SourceAdapter {
    let source: String
    let fakeContacts: FakeContacts
    var contacts: (any ResourceSource<Contact, ContactWrite>)? { fakeContacts }
}

/// Drives a router built from adapters straight through its handlers.
struct APIHarness {
    let router: Router
    let loop: EventLoop
    let services: GatewayServices

    init(adapters: [any SourceAdapter], transport: any UpstreamTransport = RecordingTransport(), clock: any WallClock = ManualWallClock(millis: 1_736_933_400_000)) throws {
        services = GatewayServices(adapters: adapters, clock: clock) { _ in transport }
        var r = Router()
        r.addUnifiedAPI(services: services)
        router = r
        loop = try EventLoop(name: "api-test")
    }

    func call(_ method: HTTPMethod, _ target: String, json: JSON? = nil, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]? = nil) async -> (status: Int, headers: HTTPHeaders, json: JSON?) {
        var h = headers
        var b = body ?? []
        if let json { b = json.serialized(); if h["Content-Type"] == nil { h.add("Content-Type", "application/json") } }
        let request = HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: h), body: b)
        switch router.match(method: method, path: request.path) {
        case .found(let handler, _, let params):
            let ctx = RequestContext(requestID: "req-1", pathParameters: params, loop: loop)
            let r: HTTPResponse
            switch handler {
            case .sync(let f): r = f(request, ctx)
            case .async(let f): r = await f(request, ctx)
            case .cached(let fast, let f):
                if let hit = fast(request, ctx) { r = hit } else { r = await f(request, ctx) }
            case .stream: r = HTTPResponse(status: 501)  // needs a connection: tested over sockets
            }
            return (r.status, r.headers, r.body.isEmpty ? nil : try? JSON.parse(r.body))
        case .methodNotAllowed: return (405, HTTPHeaders(), nil)
        case .notFound: return (404, HTTPHeaders(), nil)
        }
    }
}
