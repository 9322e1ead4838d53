DROP TABLE IF EXISTS fetch_budgets;
