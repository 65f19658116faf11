# Lifecycle hooks' test helpers, on top of aws-lib.sh (after aws_env):
# the fake's queue my-queue and its admin side.
#   admin PATH JSON     POST to the fake's /_admin/PATH
#   events EVENT [F=V]  its lifecycle events of that kind, JSON lines
#   evtime, has_event, state, is_state, undeleted: below

QURL=http://127.0.0.1:$AWS_PORT/123456789012/my-queue
ADMIN=http://127.0.0.1:$AWS_PORT/_admin

admin() {
	curl -sf -X POST --data-binary "$2" "$ADMIN/$1"
}

# events EVENT [FIELD=VALUE]: the fake's lifecycle events of that kind
events() {
	curl -sf "$ADMIN/events" | python3 -c '
import json, sys
want = sys.argv[1]
kv = [a.split("=", 1) for a in sys.argv[2:]]
for line in sys.stdin:
    e = json.loads(line)
    if e["event"] == want and all(str(e.get(k)) == v for k, v in kv):
        print(json.dumps(e))' "$@"
}

# evtime EVENT FIELD=VALUE...: the time of the first such event
evtime() {
	events "$@" | python3 -c '
import json, sys
print(json.loads(sys.stdin.readline())["t"])'
}

# has_event EVENT [FIELD=VALUE]: at least one such event (events alone
# succeeds whatever it finds: a wait_for on it would not wait)
has_event() {
	[ -n "$(events "$@")" ]
}

# state ID: the instance's LifecycleState in the fake, or "gone"
state() {
	curl -sf "$ADMIN/config" | python3 -c '
import json, sys
c = json.load(sys.stdin)
for g in c["groups"].values():
    for i in g:
        if i["id"] == sys.argv[1]:
            print(i["lifecycle"]); sys.exit(0)
print("gone")' "$1"
}

is_state() {
	[ "$(state "$1")" = "$2" ]
}

# undeleted: the messages of my-queue not deleted, as "id receives body"
undeleted() {
	curl -sf "$ADMIN/sqs/messages?queue=my-queue" | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if not m["deleted"]:
        print(m["id"], m["receives"], m["body"])'
}
