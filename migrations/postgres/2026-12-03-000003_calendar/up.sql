-- Working-day calendar years imported by an admin (smeproc calendar import, PUT
-- /api/v1/calendar/{year}): they extend or replace the years shipped in src/domain/calendar/.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    -- The year's file (holidays and make-up working days) as JSON.
    body TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
