DROP TABLE contracts;
DROP TABLE evaluation_runs;
DROP TABLE scores;
DROP TABLE bids;
DROP TABLE notices;
DROP FUNCTION notices_immutable();
DROP TABLE lots;
DROP TABLE projects;
