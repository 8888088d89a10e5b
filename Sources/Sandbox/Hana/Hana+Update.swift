import GatewayCore

/// The partner's update endpoint: `{"lead": {"id", <attribute>: value, ...},
/// "opportunity": {"id", ...}}`, either part optional, values plain.
extension HanaEmulator {
    /// One validated part of the body.
    struct Change {
        var kind: HanaKind
        var id: String
        /// In body order; `.null` clears.
        var values: [(name: String, value: JSON)]
    }

    func update(_ call: EmulatorCall) -> HTTPResponse {
        refreshSwitches(now: call.now)
        guard authorized(call) else { return error(401, "Unauthorized") }
        guard call.contentType == "application/json" else {
            return error(415, "Content-Type must be application/json")
        }
        guard case .success(let body)? = call.jsonBody(), let root = body.objectValue else {
            return error(400, "Body must be a JSON object")
        }
        // A part that is null counts as left out.
        let parts = HanaKind.allCases.compactMap { kind in root[kind.rawValue].flatMap { $0.isNull ? nil : (kind, $0) } }
        guard !parts.isEmpty else { return error(400, "lead or opportunity is required") }
        var problems: [(name: String, message: String)] = []
        let changes = parts.compactMap { kind, part in validate(part, kind, problems: &problems) }
        guard problems.isEmpty else {
            return error(400, "Invalid attributes: " + problems.map(\.name).joined(separator: ", "), attributes: problems)
        }
        for c in changes where state.index(of: c.id, c.kind) == nil {
            return error(404, "\(c.kind == .lead ? "Lead" : "Opportunity") \(c.id) not found")
        }
        var changed: [(HanaKind, HanaRecord)] = []
        for c in changes {
            let i = state.index(of: c.id, c.kind)!
            let before = state[c.kind][i]
            var after = before
            for (name, value) in c.values {
                // `JSON?.none`, not the literal nil: JSON is nil-literal-expressible (`.null`).
                after.attributes[name] = value.isNull ? JSON?.none : value
            }
            state[c.kind][i] = after
            if after != before { changed.append((c.kind, after)) }
        }
        for (kind, record) in changed {
            _ = emit(HanaEvent(kind, .updated), record, target: nil, now: call.now)
        }
        var out: JSONObject = ["success": true]
        for c in changes { out[c.kind.rawValue] = ["id": .string(c.id)] }
        return .json(status: 200, .object(out))
    }

    /// Checks one part; appends `lead.<attribute>`-named problems.
    private func validate(_ part: JSON, _ kind: HanaKind, problems: inout [(name: String, message: String)]) -> Change? {
        let prefix = kind.rawValue
        guard let object = part.objectValue else {
            problems.append((prefix, "must be an object"))
            return nil
        }
        var id: String?
        switch object["id"] {
        case nil: problems.append(("\(prefix).id", "is required"))
        case .string(let s) where !s.isEmpty: id = s
        default: problems.append(("\(prefix).id", "must be a non-empty String"))
        }
        var values: [(name: String, value: JSON)] = []
        for (name, value) in object where name != "id" {
            guard let type = HanaAttributes.type(of: name, in: kind) else {
                problems.append(("\(prefix).\(name)", "unknown attribute"))
                continue
            }
            if value.isNull || type.accepts(value) {
                values.append((name, value))
            } else {
                problems.append(("\(prefix).\(name)", "must be \(type.label)"))
            }
        }
        return id.map { Change(kind: kind, id: $0, values: values) }
    }
}
