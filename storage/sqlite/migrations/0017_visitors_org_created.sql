-- 0017 (issue 12, restv1).
-- ListVisitors pages an organisation's visitors newest first
-- (created_at DESC, id DESC) with a keyset cursor: this index serves the
-- order and the cursor's range, so a page reads only its own rows.
CREATE INDEX visitors_org_created ON visitors (org_id, created_at DESC, id DESC);
