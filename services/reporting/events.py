"""Events the reporting service records and publishes (past tense; payload schemas)."""
from shared.events import Registry

registry = Registry()
