-- The wire format of an application's callbacks (issue 15): 'tencent' (the platform's own, spec 9) or 'alibaba'
-- (Alibaba Cloud SMS's HTTP batch push: SmsReport and SmsUp arrays). The queue items are the same for both;
-- the format is applied when a delivery builds its requests, so a change applies to what is still queued.
ALTER TABLE apps ADD COLUMN callback_format text NOT NULL DEFAULT 'tencent'
    CHECK (callback_format IN ('tencent', 'alibaba'));
