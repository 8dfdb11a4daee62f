-- Countries and regions an application may send international SMS to (L4); NULL means all.
ALTER TABLE apps ADD COLUMN intl_countries text[];
