DROP TABLE documents_obtained;
DROP TABLE project_documents;
