import GatewayCore

/// Dashboards, groups, tags and custom fields.
extension TextRequestEmulator {
    static let defaultTagColor = "#1EB1C4"
    /// "Too many custom fields" (400): the vendor's limit is not published; a guess.
    static let maxCustomFields = 50

    // MARK: dashboards

    func listDashboards(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        try paged(state.dashboards.values.sorted { $0.id < $1.id }.map(\.json), call)
    }

    func createDashboard(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let o = try object(call)
        guard let name = try o.string("name"), !name.trimmingSpaces().isEmpty else { throw .invalid("A dashboard name must be specified.") }
        guard let raw = try o.string("phone"), !raw.isEmpty else { throw .invalid("A phone number must be specified.") }
        let number = try phone(raw, "phone number")
        if state.dashboards.values.contains(where: { $0.phone == number }) {
            throw .invalid("The phone number \(number) is already in use by another dashboard.")
        }
        let id = state.nextDashboardID
        state.nextDashboardID += 1
        let dash = TRDashboard(id: id, name: name, phone: number)
        state.dashboards[id] = dash
        return ok(dash.json)
    }

    func getDashboard(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        ok(state.dashboards[try dashboardID(call)]!.json)
    }

    func updateDashboard(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let o = try object(call)
        guard let name = try o.string("name"), !name.trimmingSpaces().isEmpty else { throw .invalid("A dashboard name must be specified.") }
        state.dashboards[id]!.name = name
        return ok(state.dashboards[id]!.json)
    }

    /// 204; its contacts, groups, tags, fields and hooks go with it.
    func deleteDashboard(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        state.dashboards[try dashboardID(call)] = nil
        return .noContent()
    }

    // MARK: groups

    func groupID(_ call: EmulatorCall) throws(TRError) -> Int {
        guard let id = Int(call.parameter("group_id")) else { throw .invalid("The group id is invalid.") }
        return id
    }

    func groupJSON(_ g: TRGroup, in dash: TRDashboard) -> JSON { g.json(memberCount: dash.memberCount(g.id)) }

    func listGroups(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        return try paged(dash.groups.map { groupJSON($0, in: dash) }, call)
    }

    func createGroup(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let o = try object(call)
        guard let name = try o.string("name"), !name.trimmingSpaces().isEmpty else { throw .invalid("A group name must be specified.") }
        let g = TRGroup(id: state.nextGroupID, name: name, notes: try o.string("notes"))
        state.nextGroupID += 1
        state.dashboards[id]!.groups.append(g)
        return ok(groupJSON(g, in: state.dashboards[id]!))
    }

    /// 204 when no such group.
    func getGroup(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        let gid = try groupID(call)
        guard let g = dash.groups.first(where: { $0.id == gid }) else { return .noContent() }
        return ok(groupJSON(g, in: dash))
    }

    func updateGroup(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let gid = try groupID(call)
        let o = try object(call)
        guard let i = state.dashboards[id]!.groups.firstIndex(where: { $0.id == gid }) else {
            throw TRError(404, "Group \(gid) was not found.")
        }
        guard let name = try o.string("name"), !name.trimmingSpaces().isEmpty else { throw .invalid("A group name must be specified.") }
        state.dashboards[id]!.groups[i].name = name
        if o.has("notes") { state.dashboards[id]!.groups[i].notes = try o.string("notes") }
        return ok(groupJSON(state.dashboards[id]!.groups[i], in: state.dashboards[id]!))
    }

    /// 204; members stay, without the group.
    func deleteGroup(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let gid = try groupID(call)
        guard state.dashboards[id]!.groups.contains(where: { $0.id == gid }) else { throw TRError(404, "Group \(gid) was not found.") }
        state.dashboards[id]!.groups.removeAll { $0.id == gid }
        for (k, c) in state.dashboards[id]!.contacts where c.groups.contains(gid) {
            state.dashboards[id]!.contacts[k]!.groups.removeAll { $0 == gid }
        }
        return .noContent()
    }

    // MARK: tags

    func validColor(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return b.count == 7 && b[0] == UInt8(ascii: "#") && b.dropFirst().allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102)
        }
    }

    func listTags(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        try paged(state.dashboards[try dashboardID(call)]!.tags.map(\.json), call)
    }

    func createTag(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let o = try object(call)
        guard let name = try o.string("tag"), !name.trimmingSpaces().isEmpty else { throw .invalid("A tag name must be specified.") }
        let color = try o.string("tag_color") ?? Self.defaultTagColor
        guard validColor(color) else { throw .invalid("The tag_color must be a hex color such as #1EB1C4.") }
        if state.dashboards[id]!.tags.contains(where: { $0.tag.lowercased() == name.lowercased() }) {
            throw .invalid("A tag named '\(name)' already exists.")
        }
        let t = TRTag(id: state.uuid(), tag: name, color: color)
        state.dashboards[id]!.tags.append(t)
        return ok(t.json)
    }

    func getTag(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        let tid = call.parameter("tag_id").lowercased()
        guard let t = dash.tags.first(where: { $0.id == tid }) else { return .noContent() }
        return ok(t.json)
    }

    func updateTag(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let tid = call.parameter("tag_id").lowercased()
        let o = try object(call)
        guard let i = state.dashboards[id]!.tags.firstIndex(where: { $0.id == tid }) else { throw TRError(404, "Tag \(tid) was not found.") }
        if let name = try o.string("tag") {
            guard !name.trimmingSpaces().isEmpty else { throw .invalid("A tag name must be specified.") }
            if state.dashboards[id]!.tags.contains(where: { $0.id != tid && $0.tag.lowercased() == name.lowercased() }) {
                throw .invalid("A tag named '\(name)' already exists.")
            }
            state.dashboards[id]!.tags[i].tag = name
        }
        if let color = try o.string("tag_color") {
            guard validColor(color) else { throw .invalid("The tag_color must be a hex color such as #1EB1C4.") }
            state.dashboards[id]!.tags[i].color = color
        }
        return ok(state.dashboards[id]!.tags[i].json)
    }

    /// 204; tagged contacts lose the tag.
    func deleteTag(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let tid = call.parameter("tag_id").lowercased()
        guard state.dashboards[id]!.tags.contains(where: { $0.id == tid }) else { throw TRError(404, "Tag \(tid) was not found.") }
        state.dashboards[id]!.tags.removeAll { $0.id == tid }
        for (k, c) in state.dashboards[id]!.contacts where c.tags.contains(tid) {
            state.dashboards[id]!.contacts[k]!.tags.removeAll { $0 == tid }
        }
        return .noContent()
    }

    // MARK: custom fields

    /// A bare array: this collection is not paginated.
    func listFields(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        ok(.array(state.dashboards[try dashboardID(call)]!.fields.map(\.json)))
    }

    func createField(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let o = try object(call)
        guard let name = try o.string("name"), !name.trimmingSpaces().isEmpty else { throw .invalid("A custom field name must be specified.") }
        let fields = state.dashboards[id]!.fields
        guard fields.count < Self.maxCustomFields else { throw .invalid("Too many custom fields already exist for this dashboard.") }
        if fields.contains(where: { $0.name.lowercased() == name.lowercased() }) {
            throw .invalid("A custom field named '\(name)' already exists.")
        }
        let f = TRField(id: state.uuid(), name: name)
        state.dashboards[id]!.fields.append(f)
        return ok(f.json)
    }

    func getField(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        let fid = call.parameter("field_id").lowercased()
        guard let f = dash.fields.first(where: { $0.id == fid }) else { return .noContent() }
        return ok(f.json)
    }

    func updateField(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let fid = call.parameter("field_id").lowercased()
        let o = try object(call)
        guard let i = state.dashboards[id]!.fields.firstIndex(where: { $0.id == fid }) else { throw TRError(404, "Custom field \(fid) was not found.") }
        guard let name = try o.string("name"), !name.trimmingSpaces().isEmpty else { throw .invalid("A custom field name must be specified.") }
        if state.dashboards[id]!.fields.contains(where: { $0.id != fid && $0.name.lowercased() == name.lowercased() }) {
            throw .invalid("A custom field named '\(name)' already exists.")
        }
        state.dashboards[id]!.fields[i].name = name
        return ok(state.dashboards[id]!.fields[i].json)
    }

    /// 204 (also when no such field); 400 while any contact has a value for it.
    func deleteField(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let fid = call.parameter("field_id").lowercased()
        let dash = state.dashboards[id]!
        guard dash.fields.contains(where: { $0.id == fid }) else { return .noContent() }
        let holders = dash.contacts.values.filter { $0.fields.contains { $0.id == fid } }.count
        if holders > 0 {
            throw .invalid("The custom field cannot be deleted: \(holders) contact(s) have a value for it.")
        }
        state.dashboards[id]!.fields.removeAll { $0.id == fid }
        return .noContent()
    }
}
