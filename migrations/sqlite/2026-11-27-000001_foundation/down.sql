DROP TABLE declarations;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE enterprises;
DROP TABLE organisations;
