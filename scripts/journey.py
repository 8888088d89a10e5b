"""A full user journey through a client generated from openapi.yaml (openapi-python-client),
against `crm-gateway serve --sandbox`. Run by scripts/api-check.sh; exits non-zero on the
first step that does not do what the contract says."""
import random
import sys

import os

from client import AuthenticatedClient
from client.api.contacts import create_contact, get_contact, list_contacts, update_contact
from client.api.deals import create_deal, get_deal, list_stages, update_deal
from client.api.messages import list_messages, send_message
from client.models import ContactCreate, ContactWrite, DealCreate, DealWrite, MessageSend

base = sys.argv[1]
# The gateway runs with a client key (issue 7); the generated client sends it as Bearer.
api = AuthenticatedClient(base_url=base, token=os.environ["API_CHECK_KEY"], raise_on_unexpected_status=True, timeout=30)
steps = 0


def check(cond, what):
    global steps
    steps += 1
    if not cond:
        sys.exit(f"journey: FAILED at step {steps}: {what}")
    print(f"journey: ok {steps:2} {what}")


def ok(r, status, what):
    check(r.status_code == status, f"{what} -> {r.status_code} (want {status}) {r.content[:300]!r}")
    return r.parsed


# A US number no seeded Text Request contact has.
rng = random.Random(20261201)
while True:
    phone = f"{rng.randint(201, 989)}555{rng.randint(0, 9999):04d}"
    if get_contact.sync_detailed(client=api, id=f"textrequest:contact:1:1{phone}").status_code == 404:
        break

# 1. Create a contact in each source.
made = {}
bodies = {
    "pipedrive": {"source": "pipedrive", "display_name": "Journey Pipedrive", "emails": [{"value": "jp@example.com", "type": "work", "primary": True}]},
    "hotprofile": {"source": "hotprofile", "kind": "lead", "last_name": "旅", "first_name": "太郎", "company_id": "hotprofile:client:1001"},
    "textrequest": {"source": "textrequest", "first_name": "Journey", "last_name": "Text", "phones": [phone]},
}
for source, body in bodies.items():
    c = ok(create_contact.sync_detailed(client=api, body=ContactCreate.from_dict(body), idempotency_key=f"journey-{source}"), 201, f"create a {source} contact")
    check(c.source == source and c.id.startswith(source + ":"), f"the {source} contact id is {c.id}")
    made[source] = c.id

# 2. List and page through them: every contact once, the last page ends with null.
seen, cursor, pages = [], None, 0
while True:
    kwargs = {"limit": 200}
    if cursor:
        kwargs["cursor"] = cursor
    page = ok(list_contacts.sync_detailed(client=api, **kwargs), 200, f"list contacts page {pages + 1}")
    seen += [c.id for c in page.data]
    pages += 1
    cursor = page.next_cursor
    if not cursor or pages > 30:
        break
check(cursor is None, f"paging ended after {pages} pages")
check(len(seen) == len(set(seen)), f"{len(seen)} contacts, none twice")
check(all(i in seen for i in made.values()), "the three new contacts are listed")
check(all(s.status == "ok" for s in page.sources.additional_properties.values()), "every source answered")

# 3. Update, and read the update back.
pd = made["pipedrive"]
ok(update_contact.sync_detailed(client=api, id=pd, body=ContactWrite.from_dict({"display_name": "Journey Pipedrive Jr"})), 200, "update the Pipedrive contact")
check(ok(get_contact.sync_detailed(client=api, id=pd), 200, "read it back").display_name == "Journey Pipedrive Jr", "the name changed")

# 4. A deal through its stages to won.
stages = ok(list_stages.sync_detailed(client=api, limit=200), 200, "list stages").data
pipeline = stages[0].pipeline.id
path = [s for s in stages if s.pipeline.id == pipeline]
deal = ok(create_deal.sync_detailed(client=api, body=DealCreate.from_dict({
    "source": "pipedrive", "title": "Journey deal", "value": {"amount": 5000, "currency": "EUR"},
    "stage_id": path[0].id, "contact_id": pd})), 201, "create a deal")
for s in path[1:]:
    moved = ok(update_deal.sync_detailed(client=api, id=deal.id, body=DealWrite.from_dict({"stage_id": s.id})), 200, f"move the deal to {s.name}")
    check(moved.stage.id == s.id, f"the deal is in {s.name}")
won = ok(update_deal.sync_detailed(client=api, id=deal.id, body=DealWrite.from_dict({"status": "won"})), 200, "win the deal")
check(won.status == "won", "the deal is won")
check(ok(get_deal.sync_detailed(client=api, id=deal.id), 200, "read the deal").contact_id == pd, "the deal keeps its contact")

# 5. Send a message and read the conversation back.
sent = ok(send_message.sync_detailed(client=api, body=MessageSend.from_dict({"to": phone, "body": "Your journey is complete"})), 201, "send a message")
check(sent.direction == "outbound", "the message is outbound")
history = ok(list_messages.sync_detailed(client=api, contact_id=made["textrequest"]), 200, "read the conversation").data
check(history and history[-1].body == "Your journey is complete", "the conversation ends with the message")
print(f"journey: all {steps} steps passed")
