"""Events the activities service records and publishes (past tense; payload schemas)."""
from shared.events import Registry

registry = Registry()
