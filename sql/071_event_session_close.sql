-- 071_event_session_close.sql -- the session an event is put on now
-- respects NYSE's 13:00 early closes (analytics/calendar.c,
-- calendar_close_minute): say so where analysts read the column.
COMMENT ON COLUMN events.session_date IS 'First trading session the event could move: the first story''s New York date, the next day from that day''s close (16:00 New York, 13:00 on NYSE''s early closes: July 3 and December 24 from Monday to Thursday, the Friday after Thanksgiving), rolled forward over weekends and holidays to a date in event_calendar; NULL when outside the price calendar.';
