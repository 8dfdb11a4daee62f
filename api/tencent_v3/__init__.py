"""Tencent Cloud SMS API 3.0: TC3 auth (auth.py), parameters and the envelope (wire.py), the dispatcher
(dispatch.py) and one module per family of actions (catalog, numbers, reports)."""
