@testable import Gateway
import GatewayCore
import Testing

/// §4: bad values are caught before any upstream call, every field at once, by the client's name.
@Suite("Pipedrive write validation")
struct PipedriveValidationTests {
    let a = PDTest.adapter()

    func contact(_ body: JSON, creating: Bool = true) throws -> [FieldError] {
        a.contacts!.validate(kind: "person", try ContactWrite.parse(body), creating: creating)
    }

    func deal(_ body: JSON, creating: Bool = true) throws -> [FieldError] {
        a.deals!.validate(kind: "deal", try DealWrite.parse(body), creating: creating)
    }

    @Test func personNeedsANameOnCreate() throws {
        #expect(try contact([:]) == [FieldError("display_name", "is required (or first_name and/or last_name)")])
        #expect(try contact(["first_name": "Lan"]) == [])
        #expect(try contact(["last_name": "Nguyễn"]) == [])
        #expect(try contact(["display_name": "  "]) == [FieldError("display_name", "must not be empty")])
        #expect(try contact([:], creating: false) == [])
        #expect(try contact(["display_name": nil], creating: false) == [FieldError("display_name", "cannot be cleared (Pipedrive persons require a name)")])
        #expect(try contact(["first_name": nil, "last_name": ""], creating: false)
                == [FieldError("first_name", "first_name and last_name cannot both be empty (Pipedrive persons require a name)")])
        #expect(try contact(["display_name": "Lan Nguyễn", "first_name": "Mai"])
                == [FieldError("first_name", "must be part of display_name (Pipedrive derives first and last name from the name)")])
        #expect(try contact(["display_name": "Lan Nguyễn", "first_name": "Lan", "last_name": "Nguyễn"]) == [])
    }

    @Test func personFieldsReportedAllAtOnce() throws {
        let errors = try contact([
            "display_name": "Lan", "emails": [["value": " "]], "phones": [["value": "+84 1"], ["value": ""]],
            "company_id": "pipedrive:person:3", "owner_id": "21504301", "tags": ["1", "vip", "0"],
            "title": "CEO", "address": "Hanoi", "note": "hi", "custom_fields": nil,
        ])
        #expect(errors == [
            FieldError("emails[0].value", "must not be empty"),
            FieldError("phones[1].value", "must not be empty"),
            FieldError("company_id", "must be a Pipedrive organization id of the form pipedrive:organization:<id>"),
            FieldError("owner_id", "must be a Pipedrive user id of the form pipedrive:user:<id>"),
            FieldError("tags[1]", "must be a Pipedrive label id (a positive integer)"),
            FieldError("tags[2]", "must be a Pipedrive label id (a positive integer)"),
            FieldError("title", "cannot be written to Pipedrive persons (the v2 API cannot set job_title)"),
            FieldError("address", "cannot be written to Pipedrive persons (the v2 API cannot set postal_address)"),
            FieldError("note", "cannot be written to Pipedrive persons (add a note with POST /contacts/{id}/notes)"),
            FieldError("custom_fields", "cannot be cleared as a whole; set single fields to null"),
        ])
        #expect(try contact(["display_name": "Lan", "owner_id": nil]) == [FieldError("owner_id", "cannot be cleared on Pipedrive (every record has an owner)")])
        #expect(try contact(["display_name": "Lan", "company_id": "hotprofile:client:3"])
                == [FieldError("company_id", "must be a Pipedrive organization id of the form pipedrive:organization:<id>")])
    }

    @Test func createRefusesAnInvalidWriteWithoutACall() async throws {
        let t = RecordingTransport()
        let e = await PDTest.error { try await a.contacts!.create(kind: "person", try ContactWrite.parse(["owner_id": "x"]), context: t.context()) }
        guard case .validation(let errors)? = e else { Issue.record("expected validation"); return }
        #expect(errors.map(\.field) == ["display_name", "owner_id"])
        let d = await PDTest.error { try await a.deals!.update(UnifiedID("pipedrive:deal:1")!, try DealWrite.parse(["status": "deleted"]), context: t.context()) }
        guard case .validation? = d else { Issue.record("expected validation"); return }
        let x = await PDTest.error { try await a.activities!.create(kind: "activity", try ActivityWrite.parse(["type": "call"]), context: t.context()) }
        guard case .validation? = x else { Issue.record("expected validation"); return }
        #expect(t.requests.isEmpty)
    }

    @Test func organizationRules() throws {
        let v = { (body: JSON, creating: Bool) throws -> [FieldError] in
            a.companies!.validate(kind: "organization", try CompanyWrite.parse(body), creating: creating)
        }
        #expect(try v([:], true) == [FieldError("name", "is required")])
        #expect(try v(["name": nil], false) == [FieldError("name", "cannot be cleared on Pipedrive")])
        #expect(try v(["name": ""], false) == [FieldError("name", "must not be empty")])
        #expect(try v(["name": "A", "website": "https://a.example", "emails": ["a@a.example"], "phones": [], "industry": "IT", "note": "n"], true) == [
            FieldError("website", "cannot be written to Pipedrive organizations (no such field in the v2 API)"),
            FieldError("emails", "cannot be written to Pipedrive organizations (no such field in the v2 API)"),
            FieldError("phones", "cannot be written to Pipedrive organizations (no such field in the v2 API)"),
            FieldError("industry", "cannot be written to Pipedrive organizations (no such field in the v2 API)"),
            FieldError("note", "cannot be written to Pipedrive organizations (add a note with POST /companies/{id}/notes)"),
        ])
        #expect(try v(["name": "A", "address": nil, "owner_id": "pipedrive:user:1"], true) == [])
    }

    @Test func dealNeedsATitleOnCreate() throws {
        #expect(try deal([:]) == [FieldError("title", "is required")])
        #expect(try deal([:], creating: false) == [])
        #expect(try deal(["title": " "], creating: false) == [FieldError("title", "must not be empty")])
        #expect(try deal(["title": nil], creating: false) == [FieldError("title", "cannot be cleared on Pipedrive")])
    }

    @Test func dealStatusEnumAndLostReason() throws {
        #expect(try deal(["title": "x", "status": "won"]) == [])
        #expect(try deal(["title": "x", "status": "deleted"]) == [FieldError("status", "must be one of open, won, lost (delete a deal with DELETE)")])
        #expect(try deal(["title": "x", "status": "Open"]) == [FieldError("status", "must be one of open, won, lost (delete a deal with DELETE)")])
        #expect(try deal(["status": nil], creating: false) == [FieldError("status", "cannot be cleared; one of open, won, lost")])
        #expect(try deal(["lost_reason": "Price"], creating: false) == [FieldError("lost_reason", "may only be given with status \"lost\"")])
        #expect(try deal(["status": "won", "lost_reason": "Price"], creating: false) == [FieldError("lost_reason", "may only be given with status \"lost\"")])
        #expect(try deal(["status": "lost", "lost_reason": "Price"], creating: false) == [])
        #expect(try deal(["lost_reason": nil], creating: false) == [])
    }

    @Test func dealDatesMoneyAndIDs() throws {
        let errors = try deal([
            "title": "x", "value": ["amount": nil, "currency": "usd"], "expected_close_date": "2025-02-30",
            "stage_id": "pipedrive:pipeline:1", "pipeline_id": "pipedrive:stage:1", "contact_id": "pipedrive:organization:2",
            "company_id": "pipedrive:person:2", "owner_id": "pipedrive:user:abc", "custom_fields": nil,
        ])
        #expect(errors == [
            FieldError("value.amount", "cannot be cleared on Pipedrive (set 0)"),
            FieldError("value.currency", "must be a 3-letter ISO 4217 code in capitals (e.g. USD)"),
            FieldError("stage_id", "must be a Pipedrive stage id of the form pipedrive:stage:<id>"),
            FieldError("pipeline_id", "must be a Pipedrive pipeline id of the form pipedrive:pipeline:<id>"),
            FieldError("contact_id", "must be a Pipedrive person id of the form pipedrive:person:<id>"),
            FieldError("company_id", "must be a Pipedrive organization id of the form pipedrive:organization:<id>"),
            FieldError("expected_close_date", "must be a date in the form YYYY-MM-DD"),
            FieldError("owner_id", "must be a Pipedrive user id of the form pipedrive:user:<id>"),
            FieldError("custom_fields", "cannot be cleared as a whole; set single fields to null"),
        ])
        for bad in ["2025-1-05", "2025/01/05", "2025-01-05T00:00:00Z", "20250105", "2025-13-01", "abcd-ef-gh"] {
            #expect(try deal(["expected_close_date": .string(bad)], creating: false) == [FieldError("expected_close_date", "must be a date in the form YYYY-MM-DD")])
        }
        #expect(try deal(["expected_close_date": "2024-02-29", "value": ["amount": 10, "currency": "JPY"]], creating: false) == [])
        #expect(try deal(["stage_id": nil, "pipeline_id": nil, "contact_id": nil, "company_id": nil, "value": ["currency": nil]], creating: false) == [
            FieldError("value.currency", "cannot be cleared on Pipedrive"),
            FieldError("stage_id", "cannot be cleared on Pipedrive"),
            FieldError("pipeline_id", "cannot be cleared on Pipedrive"),
        ])
        #expect(try deal(["value": ["currency": "EURO"]], creating: false) == [FieldError("value.currency", "must be a 3-letter ISO 4217 code in capitals (e.g. USD)")])
    }

    @Test func activityRules() throws {
        let v = { (body: JSON) throws -> [FieldError] in
            a.activities!.validate(kind: "activity", try ActivityWrite.parse(body), creating: true)
        }
        #expect(try v([:]) == [FieldError("subject", "is required")])
        #expect(try v(["subject": "Call", "type": "follow_up", "due_date": "2025-02-03", "due_time": "23:59", "duration": "00:00"]) == [])
        #expect(try v(["subject": " ", "type": "Phone Call", "done": nil, "due_date": "03/02/2025", "due_time": "9:30", "duration": "1h",
                       "deal_id": "pipedrive:person:1", "contact_id": "pipedrive:deal:1", "company_id": "x:y:1", "owner_id": "pipedrive:person:1"]) == [
            FieldError("subject", "must not be empty"),
            FieldError("type", "must be a Pipedrive activity type key (lowercase letters, digits, _), e.g. call, meeting, task"),
            FieldError("done", "cannot be cleared; true or false"),
            FieldError("due_date", "must be a date in the form YYYY-MM-DD"),
            FieldError("due_time", "must be a time in the form HH:MM (00:00 to 23:59)"),
            FieldError("duration", "must be a time in the form HH:MM (00:00 to 23:59)"),
            FieldError("deal_id", "must be a Pipedrive deal id of the form pipedrive:deal:<id>"),
            FieldError("contact_id", "must be a Pipedrive person id of the form pipedrive:person:<id>"),
            FieldError("company_id", "must be a Pipedrive organization id of the form pipedrive:organization:<id>"),
            FieldError("owner_id", "must be a Pipedrive user id of the form pipedrive:user:<id>"),
        ])
        #expect(try v(["subject": "x", "due_time": "24:00"]) == [FieldError("due_time", "must be a time in the form HH:MM (00:00 to 23:59)")])
    }
}
