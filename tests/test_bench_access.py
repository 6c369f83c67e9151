"""The helpers of bench/access.py: its doctests, the hook lists it swaps (access on: timed;
off: taken out, a stand-in in the gate's place), and its clock counting nested calls once."""
from __future__ import annotations

import doctest

import flask

from access.gate import Gate
from access.web import SIGN_IN_LIMITS
from bench import access as bench_access


def test_the_doctests_of_bench_access_pass():
    assert doctest.testmod(bench_access).failed == 0


def test_sign_ins_are_spaced_inside_the_sign_in_limit():
    per_minute = int(SIGN_IN_LIMITS.split(" per minute")[0])
    assert bench_access.sign_in_gap(SIGN_IN_LIMITS) * per_minute > 60


def test_a_call_inside_a_timed_call_is_counted_once():
    clock = bench_access.HookClock()
    inner = clock.wrap(lambda: 1, "scope")
    outer = clock.wrap(lambda: inner() + 1, "hooks")
    assert outer() == 2 and set(clock.spent) == {"hooks"}
    assert inner() == 1 and set(clock.spent) == {"hooks", "scope"}


def test_access_off_takes_out_access_hooks_and_hands_the_callbacks_the_session():
    server = flask.Flask("t")
    gate = Gate(access=None)
    server.before_request(gate.check)
    server.after_request(own := (lambda resp: resp))
    server.teardown_request(gate.finish)
    seen = {}

    @server.route("/x")
    def x():
        seen["session"], seen["scope"] = flask.g.get("tb_session"), flask.g.get("tb_scope")
        return "ok"

    clock = bench_access.HookClock()
    original, on, off, names = bench_access.hook_sets(server, clock, session="S")
    assert names == ["before: access.gate:Gate.check", "teardown: access.gate:Gate.finish"]
    assert off["after_request_funcs"][None] == [own] and off["teardown_request_funcs"][None] == []
    assert [f.__wrapped__ for f in on["before_request_funcs"][None]] == [gate.check]
    bench_access.use_hooks(server, off)
    assert server.test_client().get("/x").data == b"ok"
    assert seen["session"] == "S" and seen["scope"].town
    bench_access.use_hooks(server, original)
    assert server.before_request_funcs[None] == [gate.check]
