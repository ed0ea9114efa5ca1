"""Events the casework service records and publishes (past tense; payload schemas)."""
from shared.events import Registry

registry = Registry()
