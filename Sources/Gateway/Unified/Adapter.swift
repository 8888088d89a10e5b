import GatewayCore

/// Why a unified operation failed, with enough to build the problem+json the client gets
/// (§5). Upstream failures keep their meaning: see `Problem.init(_:)`.
public enum GatewayError: Error, Sendable {
    /// 422: the write's values break the model's or the upstream's rules (every field at once).
    case validation([FieldError])
    /// 400: the request itself is malformed (query parameters, cursor).
    case badRequest(String, [FieldError] = [])
    case notFound(String)
    /// The target exists but its source cannot do this (e.g. delete a HotProfile lead).
    case methodNotAllowed(String, allowed: [HTTPMethod])
    case conflict(String)
    /// The upstream answered, and not with success.
    case upstream(source: String, status: Int, body: [UInt8], retryAfter: String? = nil)
    /// No usable answer: connect failure, timeout, truncated body.
    case transport(source: String, TransportError)
    /// An answer the adapter cannot read (a contract drift): 502.
    case invalidResponse(source: String, String)
    /// The source is not configured on this gateway.
    case notConfigured(String)
    /// 415: a body that is not JSON.
    case unsupportedMediaType
}

/// The list filters of §5, as given (ids still unified strings).
public struct ListFilter: Sendable, Equatable {
    public enum Name: String, Sendable, CaseIterable, Hashable {
        case q, email, phone, updated_since, status, stage_id, pipeline_id, contact_id, company_id
    }

    public var values: [Name: String] = [:]

    public init(_ values: [Name: String] = [:]) { self.values = values }

    public subscript(_ name: Name) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    public var present: Set<Name> { Set(values.keys) }

    /// An id filter's value, parsed (nil when absent or not an id).
    public func id(_ name: Name) -> UnifiedID? { values[name].flatMap(UnifiedID.init) }
}

/// One page request to one source part. `token` is whatever the part returned as `next`
/// (an upstream cursor, a page number): only the adapter reads it. `size` stays the same for
/// a whole traversal, so page-number paging lines up.
public struct PageRequest: Sendable, Equatable {
    public var size: Int
    public var token: String?

    public init(size: Int, token: String? = nil) {
        self.size = size
        self.token = token
    }
}

public struct SourcePage<Object: UnifiedObject>: Sendable {
    public var items: [Object]
    /// Nil on the last page.
    public var next: String?

    public init(items: [Object], next: String?) {
        self.items = items
        self.next = next
    }
}

/// What an adapter call gets besides its arguments.
public struct AdapterContext: Sendable {
    public var transport: any UpstreamTransport
    public var requestID: String

    public init(transport: any UpstreamTransport, requestID: String) {
        self.transport = transport
        self.requestID = requestID
    }
}

public enum ResourceOperation: Sendable, Hashable { case list, get, create, update, delete }

/// One source's side of one unified resource (Pipedrive persons for /contacts, HotProfile
/// clients for /companies, ...). A source with several kinds behind one resource (HotProfile
/// business cards and leads) lists them as separate `kinds`, each paged on its own.
public protocol ResourceSource<Object, Write>: Sendable {
    associatedtype Object: UnifiedObject
    associatedtype Write: UnifiedWrite

    var source: String { get }
    /// Listed in this order; a POST without `kind` uses the first.
    var kinds: [String] { get }
    func operations(kind: String) -> Set<ResourceOperation>
    /// The filters this kind can honour upstream (others are reported, never ignored).
    func filters(kind: String) -> Set<ListFilter.Name>
    /// The largest page the upstream serves.
    func maxPageSize(kind: String) -> Int
    /// Field limits and required fields, checked before any upstream call.
    func validate(kind: String, _ write: Write, creating: Bool) -> [FieldError]

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Object>
    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Object
    func create(kind: String, _ write: Write, context: AdapterContext) async throws(GatewayError) -> Object
    func update(_ id: UnifiedID, _ write: Write, context: AdapterContext) async throws(GatewayError) -> Object
    func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError)
}

extension ResourceSource {
    public func create(kind: String, _ write: Write, context: AdapterContext) async throws(GatewayError) -> Object {
        throw .methodNotAllowed("\(source) \(kind) records cannot be created through the gateway", allowed: [])
    }
    public func update(_ id: UnifiedID, _ write: Write, context: AdapterContext) async throws(GatewayError) -> Object {
        throw .methodNotAllowed("\(id.source) \(id.kind) records cannot be changed through the gateway", allowed: [.GET])
    }
    public func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) {
        throw .methodNotAllowed("\(id.source) \(id.kind) records cannot be deleted through the gateway", allowed: [.GET])
    }
    public func validate(kind: String, _ write: Write, creating: Bool) -> [FieldError] { [] }
}

/// Notes attached to a parent record (`/deals/{id}/notes`, `/contacts/{id}/notes`).
public protocol NoteSource: Sendable {
    var source: String { get }
    /// Parent kinds that take notes (`person`, `deal`, `organization`).
    var parentKinds: Set<String> { get }
    func maxPageSize() -> Int
    func validate(_ write: NoteWrite) -> [FieldError]
    func list(parent: UnifiedID, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Note>
    func create(parent: UnifiedID, _ write: NoteWrite, context: AdapterContext) async throws(GatewayError) -> Note
}

/// SMS (§3 `/messages`, `/conversations`).
public protocol MessagingSource: Sendable {
    var source: String { get }
    func maxPageSize() -> Int
    func validate(_ send: MessageSend) -> [FieldError]
    func send(_ message: MessageSend, context: AdapterContext) async throws(GatewayError) -> Message
    /// The conversation with a contact (by unified contact id) or a phone number, oldest first.
    func history(contact: UnifiedID?, phone: String?, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Message>
    func conversations(filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Conversation>
    func conversationFilters() -> Set<ListFilter.Name>
    func setArchived(_ conversation: UnifiedID, _ archived: Bool, context: AdapterContext) async throws(GatewayError) -> Conversation
}

/// Raw upstream access for `/passthrough/{source}/{path}`: the adapter adds its credential
/// and keeps the call on its own host.
public protocol PassthroughSource: Sendable {
    var source: String { get }
    func passthrough(method: String, path: String, query: String?, headers: HTTPHeaders, body: [UInt8], context: AdapterContext) async throws(GatewayError) -> UpstreamResponse
}

/// One upstream's adapter: the resources it backs. Adding an upstream means one folder under
/// `Sources/Gateway/Adapters/` with a type like this, and one line in `AdapterRegistry`.
public protocol SourceAdapter: Sendable {
    var source: String { get }
    var contacts: (any ResourceSource<Contact, ContactWrite>)? { get }
    var companies: (any ResourceSource<Company, CompanyWrite>)? { get }
    var deals: (any ResourceSource<Deal, DealWrite>)? { get }
    var pipelines: (any ResourceSource<Pipeline, NoWrite>)? { get }
    var stages: (any ResourceSource<Stage, NoWrite>)? { get }
    var activities: (any ResourceSource<Activity, ActivityWrite>)? { get }
    var notes: (any NoteSource)? { get }
    var messaging: (any MessagingSource)? { get }
    var passthrough: (any PassthroughSource)? { get }
}

extension SourceAdapter {
    public var contacts: (any ResourceSource<Contact, ContactWrite>)? { nil }
    public var companies: (any ResourceSource<Company, CompanyWrite>)? { nil }
    public var deals: (any ResourceSource<Deal, DealWrite>)? { nil }
    public var pipelines: (any ResourceSource<Pipeline, NoWrite>)? { nil }
    public var stages: (any ResourceSource<Stage, NoWrite>)? { nil }
    public var activities: (any ResourceSource<Activity, ActivityWrite>)? { nil }
    public var notes: (any NoteSource)? { nil }
    public var messaging: (any MessagingSource)? { nil }
    public var passthrough: (any PassthroughSource)? { nil }
}
