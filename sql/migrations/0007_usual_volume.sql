-- An application's usual daily volume (the mean of its last 7 full days), kept by a daily job; a day that
-- runs well past it raises an anti-bombing alarm (L4).
ALTER TABLE apps
    ADD COLUMN usual_daily_volume integer NOT NULL DEFAULT 0,
    ADD COLUMN usual_volume_updated_at timestamptz;
