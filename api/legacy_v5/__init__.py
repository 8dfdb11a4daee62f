"""The legacy Tencent SMS v5 API (`sdkappid` + `sig`): wire parsing, signature and code table (wire.py), the
endpoints (handlers.py)."""
