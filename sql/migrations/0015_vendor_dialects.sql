-- More vendors' APIs on the one platform (issue 15: Alibaba Cloud SMS; issue 16: UCloud USMS).

-- Alibaba's and UCloud's calls name no application: the API key says which of its account's applications their
-- sends use. NULL: the account's only application, when it has exactly one.
ALTER TABLE api_keys ADD COLUMN sdk_app_id text REFERENCES apps (sdk_app_id);

-- One number per send request, whatever its dialect: Alibaba's BizId is made from it (QuerySendDetails filters
-- by it, SmsReport pushes carry it). A request of up to 1,000 numbers is several batches of <= 200 for the
-- workers, all with the request's number. NULL on messages accepted before this migration. Not indexed: a
-- lookup by BizId also names the number and the day, which the existing indexes find.
CREATE SEQUENCE request_no_seq;
ALTER TABLE messages ADD COLUMN request_no bigint;
