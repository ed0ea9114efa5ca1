"""`station broker permissions`: the rabbitmqctl lines that give each service its own
broker user with least privilege (shared.broker_users). Registered in station/cli.py."""
from __future__ import annotations


def cmd_broker_permissions(args) -> int:
    from shared import broker_users
    print("\n".join(broker_users.rabbitmqctl_lines(args.vhost)))
    return 0
