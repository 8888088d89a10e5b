import Gateway
import GatewayCore
import Testing

@Suite("Text Request adapter: contact writes")
struct TextRequestContactWriteTests {
    // MARK: create, update, delete

    @Test func createLooksUpThenPostsTheUpsertBody() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.noContent())
        t.answer(200, fixture: TRTest.fixture("contacts.upsert.200"))
        let w = try TRTest.contactWrite([
            "source": "textrequest", "first_name": "Ava", "last_name": "Nguyen", "phones": [["value": "(202) 555-0123"]],
            "note": "Met at the expo", "tags": ["D30D203D-0885-48E1-B78E-C7E2760F6813"],
            "emails": [["value": "ava@example.com"]],
        ])
        let c = try await TRTest.contacts(["dashboard_id": "1", "email_field_id": TRTest.emailField]).create(kind: "contact", w, context: t.context())
        #expect(t.requests.count == 2)
        #expect(t.requests[0].method == "GET")
        #expect(t.requests[0].pathAndQuery.path == "/api/v3/dashboards/1/contacts/12025550123")
        #expect(t.requests[1].method == "POST")
        #expect(t.requests[1].pathAndQuery.path == "/api/v3/dashboards/1/contacts/12025550123")
        #expect(t.requests[1].headers["x-api-key"] == "test-key")
        #expect(t.requests[1].headers["Content-Type"] == "application/json")
        #expect(t.requests[1].jsonBody == [
            "first_name": "Ava", "last_name": "Nguyen", "note": "Met at the expo",
            "contact_tags": ["d30d203d-0885-48e1-b78e-c7e2760f6813"],
            "custom_fields": [["id": .string(TRTest.emailField), "value": "ava@example.com"]],
        ])
        #expect(c.id.description == "textrequest:contact:1:12025550123")
        #expect(c.displayName == "Ava Nguyen")
        #expect(c.emails.map(\.value) == ["ava@example.com"])
    }

    /// The upstream would update the existing contact; the gateway refuses instead.
    @Test func createForAnExistingNumberIsAConflict() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        let w = try TRTest.contactWrite(["first_name": "Someone", "phones": ["617-555-0110"]])
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.contacts().create(kind: "contact", w, context: t.context())
        }
        #expect(TRTest.label(e) == "conflict")
        guard case .conflict(let message)? = e else { return }
        #expect(message.contains("textrequest:contact:1:16175550110"))
        #expect(t.requests.count == 1)
    }

    @Test func updateChecksExistenceThenPostsOnlyTheChanges() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        let w = try TRTest.contactWrite([
            "first_name": nil, "display_name": "P. Smith", "tags": nil, "phones": [["value": "+16175550110"]],
            "custom_fields": ["is_suppressed": true, "suppressed_reason": "asked", "groups": [40470],
                              "ef305fd0-0169-4385-a6b1-d5cc92c1352f": nil, "a6c9f117-9abd-4971-8bf2-967e7f054865": 42],
        ])
        _ = try await TRTest.contacts().update(TRTest.id("textrequest:contact:1:16175550110"), w, context: t.context())
        #expect(t.requests.map(\.method) == ["GET", "POST"])
        #expect(t.requests[1].pathAndQuery.path == "/api/v3/dashboards/1/contacts/16175550110")
        #expect(t.requests[1].jsonBody == [
            "first_name": "", "display_name": "P. Smith", "contact_tags": [],
            "is_suppressed": true, "suppressed_reason": "asked", "groups": [40470],
            "custom_fields": [["id": "ef305fd0-0169-4385-a6b1-d5cc92c1352f", "value": ""],
                              ["id": "a6c9f117-9abd-4971-8bf2-967e7f054865", "value": "42"]],
        ])
    }

    @Test func clearingCustomFieldsSendsAnEmptyArray() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        _ = try await TRTest.contacts().update(TRTest.id("textrequest:contact:1:16175550110"), try TRTest.contactWrite(["custom_fields": nil]), context: t.context())
        #expect(t.requests[1].jsonBody == ["custom_fields": []])
    }

    @Test func updateWithNothingToChangeMakesNoWrite() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        let c = try await TRTest.contacts().update(TRTest.id("textrequest:contact:1:16175550110"), try TRTest.contactWrite([:]), context: t.context())
        #expect(t.requests.map(\.method) == ["GET"])
        #expect(c.displayName == "Paul Smith")
    }

    @Test func updateOfAnUnknownContactIsNotFoundWithoutAWrite() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.noContent())
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.contacts().update(TRTest.id("textrequest:contact:1:12025550199"), try! TRTest.contactWrite(["note": "x"]), context: t.context())
        }
        #expect(TRTest.label(e) == "notFound")
        #expect(t.requests.map(\.method) == ["GET"])
    }

    @Test func updateCannotChangeThePhoneNumber() async throws {
        let t = RecordingTransport()
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.contacts().update(TRTest.id("textrequest:contact:1:16175550110"), try! TRTest.contactWrite(["phones": ["2025550123"]]), context: t.context())
        }
        #expect(TRTest.label(e) == "validation phones[0].value")
        #expect(t.requests.isEmpty)
    }

    @Test func deleteSendsDelete() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.emptyOK())
        try await TRTest.contacts().delete(TRTest.id("textrequest:contact:1:12025550123"), context: t.context())
        #expect(t.requests.map(\.method) == ["DELETE"])
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/12025550123")
        #expect(t.requests[0].headers["x-api-key"] == "test-key")
    }

    @Test func deleteWithMessageHistoryIsAConflictAndUnknownStays404() async {
        let t = RecordingTransport()
        t.answer(400, fixture: TRTest.fixture("contacts.delete.400"))
        t.answer(404, json: ["status": 404, "errorCode": nil, "message": "No contact."])
        let c = TRTest.contacts()
        let history = await TRTest.failure { () async throws(GatewayError) in try await c.delete(TRTest.id("textrequest:contact:1:14235550110"), context: t.context()) }
        let unknown = await TRTest.failure { () async throws(GatewayError) in try await c.delete(TRTest.id("textrequest:contact:1:12025550199"), context: t.context()) }
        #expect(TRTest.label(history) == "conflict")
        #expect(TRTest.label(unknown) == "upstream textrequest 404")
    }

    // MARK: validation

    @Test func createValidationNamesEveryBadFieldBeforeAnyCall() async throws {
        let w = try TRTest.contactWrite([
            "phones": [["value": "+44 20 7946 0958"], ["value": "4235550110"]],
            "emails": [["value": "a@example.com"]], "company_id": "pipedrive:organization:1", "title": "CEO",
            "address": "1 Main St", "owner_id": "textrequest:user:1", "tags": ["vip", "d30d203d-0885-48e1-b78e-c7e2760f6813"],
            "custom_fields": ["is_blocked": "yes", "suppressed_reason": 3, "groups": ["a"], "opted_out_utc": nil,
                              "favourite_color": "red", "d30d203d-0885-48e1-b78e-c7e2760f6813": ["x"]],
        ])
        let errors = TRTest.contacts().validate(kind: "contact", w, creating: true)
        #expect(errors.map(\.field) == ["phones", "phones[0].value", "emails", "company_id", "title", "address", "owner_id", "tags[0]",
                                        "custom_fields.is_blocked", "custom_fields.suppressed_reason", "custom_fields.groups",
                                        "custom_fields.opted_out_utc", "custom_fields.favourite_color",
                                        "custom_fields.d30d203d-0885-48e1-b78e-c7e2760f6813"])
        #expect(errors[1].message == "must be a US phone number (10 digits, or 11 starting with 1): Text Request supports US numbers only")
        let t = RecordingTransport()
        let e = await TRTest.failure { () async throws(GatewayError) in try await TRTest.contacts().create(kind: "contact", w, context: t.context()) }
        #expect(TRTest.label(e).hasPrefix("validation phones,phones[0].value"))
        #expect(t.requests.isEmpty)
    }

    @Test func createRequiresAPhoneAndUpdateCannotClearIt() throws {
        let c = TRTest.contacts()
        #expect(c.validate(kind: "contact", try TRTest.contactWrite(["first_name": "A"]), creating: true).map(\.field) == ["phones"])
        #expect(c.validate(kind: "contact", try TRTest.contactWrite(["first_name": "A"]), creating: false).isEmpty)
        #expect(c.validate(kind: "contact", try TRTest.contactWrite(["phones": nil]), creating: false).map(\.field) == ["phones"])
        #expect(c.validate(kind: "contact", try TRTest.contactWrite(["phones": ["1 423 555 0110"]]), creating: true).isEmpty)
        // NANP: an area code or exchange starting with 0/1 is not a number.
        #expect(c.validate(kind: "contact", try TRTest.contactWrite(["phones": ["1235550110"]]), creating: true).map(\.field) == ["phones[0].value"])
    }

    @Test func emailNeedsTheEmailFieldAndOneAddress() throws {
        let c = TRTest.contacts(["dashboard_id": "1", "email_field_id": TRTest.emailField])
        let two = try TRTest.contactWrite(["emails": ["a@example.com", "b@example.com"]])
        #expect(c.validate(kind: "contact", two, creating: false).map(\.field) == ["emails"])
        let bad = try TRTest.contactWrite(["emails": ["not an address"]])
        #expect(c.validate(kind: "contact", bad, creating: false).map(\.field) == ["emails[0].value"])
        let clash = try TRTest.contactWrite(["emails": ["a@example.com"], "custom_fields": nil])
        #expect(c.validate(kind: "contact", clash, creating: false).map(\.field) == ["custom_fields"])
    }

    // MARK: upstream errors

    @Test func upstreamErrorsKeepStatusAndBody() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.noContent())
        t.answer(400, fixture: TRTest.fixture("contacts.upsert.400"))
        t.answer(503, json: ["status": 503, "message": "down"], headers: ["Retry-After": "7"])
        t.answer(401, fixture: TRTest.fixture("auth.401"))
        t.fail(.connectTimeout)
        let c = TRTest.contacts()
        let w = try TRTest.contactWrite(["phones": ["2025550124"], "tags": ["00000000-0000-0000-0000-000000000000"]])
        let bad = await TRTest.failure { () async throws(GatewayError) in try await c.create(kind: "contact", w, context: t.context()) }
        guard case .upstream(let source, let status, let body, _)? = bad else { Issue.record("not upstream: \(TRTest.label(bad))"); return }
        #expect(source == "textrequest" && status == 400)
        #expect(body == Fixture.bytes(TRTest.fixture("contacts.upsert.400")))
        let down = await TRTest.failure { () async throws(GatewayError) in try await c.get(TRTest.id("textrequest:contact:1:14235550110"), context: t.context()) }
        guard case .upstream(_, 503, _, let retryAfter)? = down else { Issue.record("not 503: \(TRTest.label(down))"); return }
        #expect(retryAfter == "7")
        let denied = await TRTest.failure { () async throws(GatewayError) in try await c.get(TRTest.id("textrequest:contact:1:14235550110"), context: t.context()) }
        #expect(TRTest.label(denied) == "upstream textrequest 401")
        let gone = await TRTest.failure { () async throws(GatewayError) in try await c.get(TRTest.id("textrequest:contact:1:14235550110"), context: t.context()) }
        #expect(TRTest.label(gone) == "transport textrequest")
    }

    @Test func aBodyThatIsNotAContactIsAnInvalidResponse() async {
        let t = RecordingTransport()
        t.answer(200, json: ["items": "nope"])
        t.answer(200, json: ["phone_number": "+44 20 7946 0958"])
        t.answer(UpstreamResponse(status: 200, headers: HTTPHeaders(), body: Array("<html>".utf8)))
        let c = TRTest.contacts()
        let a = await TRTest.failure { () async throws(GatewayError) in try await c.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 5), context: t.context()) }
        let b = await TRTest.failure { () async throws(GatewayError) in try await c.get(TRTest.id("textrequest:contact:1:14235550110"), context: t.context()) }
        let d = await TRTest.failure { () async throws(GatewayError) in try await c.get(TRTest.id("textrequest:contact:1:14235550110"), context: t.context()) }
        #expect([a, b, d].map(TRTest.label) == ["invalidResponse", "invalidResponse", "invalidResponse"])
    }
}
