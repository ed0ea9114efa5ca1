"""`station users disable|enable|reset-password NAME`: account changes an operator makes.

Each is an event in the identity store (UserDisabled, UserEnabled, PasswordChanged),
with the operator's login name as actor. Disabling refuses the user's log-ins and,
within a few seconds (shared.security.revocation), every token they hold; a new
password refuses the tokens issued before it. Enabling lets the user log in again
(their old tokens stay refused).
"""
from __future__ import annotations

import getpass
import json
import sys


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _change(config: dict, username: str, change) -> int:
    from shared import logs
    from shared.security import users
    logs.configure("WARNING")
    store = users.open_users(config)
    try:
        change(store)
    except users.UnknownUser:
        print(f"no user {username!r}; nothing was changed\n用户 {username!r} 不存在，未做任何修改",
              file=sys.stderr)
        return 1
    standing = store.standing(username)
    print(json.dumps({"username": username, "disabled": standing.disabled}, ensure_ascii=False))
    return 0


def disable(config: dict, username: str, reason: str | None) -> int:
    return _change(config, username, lambda s: s.disable(username, reason, actor=_operator()))


def enable(config: dict, username: str) -> int:
    return _change(config, username, lambda s: s.enable(username, actor=_operator()))


def reset_password(config: dict, username: str) -> int:
    """The new password is one line on stdin (prompted for, twice, on a terminal)."""
    if sys.stdin.isatty():
        password = getpass.getpass("new password / 新密码: ")
        if getpass.getpass("again / 再次输入: ") != password:
            print("the passwords differ / 两次输入的密码不一致", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("the password is empty: give it as one line on standard input\n"
              "密码为空：请通过标准输入提供一行密码", file=sys.stderr)
        return 1
    return _change(config, username,
                   lambda s: s.change_password(username, password, actor=_operator()))


def register(users_parser, with_data_dir, config_of) -> None:
    """Add the three sub-commands to `station users`."""
    p = with_data_dir(users_parser.add_parser(
        "disable", help="refuse the user's log-ins and, within seconds, their tokens"))
    p.add_argument("username")
    p.add_argument("--reason", help="why (kept in the UserDisabled event)")
    p.set_defaults(func=lambda a: disable(config_of(a), a.username, a.reason))
    p = with_data_dir(users_parser.add_parser(
        "enable", help="let a disabled user log in again (old tokens stay refused)"))
    p.add_argument("username")
    p.set_defaults(func=lambda a: enable(config_of(a), a.username))
    p = with_data_dir(users_parser.add_parser(
        "reset-password", help="a new password from stdin; older tokens are refused"))
    p.add_argument("username")
    p.set_defaults(func=lambda a: reset_password(config_of(a), a.username))
