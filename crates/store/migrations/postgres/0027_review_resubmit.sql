-- A rejected review may be edited and sent back to moderation a few times
-- (core reviews::MAX_RESUBMISSIONS); the count is kept with the review.
ALTER TABLE reviews ADD COLUMN resubmissions BIGINT NOT NULL DEFAULT 0 CHECK (resubmissions >= 0);
