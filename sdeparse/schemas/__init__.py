"""Schemas turn a reader's records into a prediction with semantic diagnostics. `slots`: fixed
slots with closed labels; a schema whose slots hold lists of spans plugs in beside it."""
