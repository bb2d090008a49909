-- 0003: per-widget settings (issue 6).
--
-- prechat_name, prechat_email and prechat_phone hold a pre-chat field mode
-- ('required', 'optional', 'hidden'); '' means the field's default.
-- offline_message is the text shown when no agent is online; '' means the
-- default text.

ALTER TABLE widgets ADD COLUMN prechat_name TEXT NOT NULL DEFAULT '';
ALTER TABLE widgets ADD COLUMN prechat_email TEXT NOT NULL DEFAULT '';
ALTER TABLE widgets ADD COLUMN prechat_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE widgets ADD COLUMN offline_message TEXT NOT NULL DEFAULT '';
