"""The legacy Tencent SMS v5 API (`sdkappid` + `sig`). Pure parts: codes.py (the legacy code table), auth.py
(`sig` and the time check), wire.py and catalog_wire.py (request bodies), plain_text.py (template matching),
items.py (pull items). Endpoints by family: sends.py, pulls.py, catalog.py, statistics.py, sharing call.py;
routes.py is the one route table (setup_legacy_v5)."""
