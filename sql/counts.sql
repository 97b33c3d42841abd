-- The counting step of `attune build`, in plain SQL (runs unchanged on DuckDB and Spark SQL;
-- BigQuery: see docs/scale-out.md). Input: a view or table
--
--   orders(customer, item, order_id, ts)
--
-- one row per order line, already cleaned (no cancellations, no quantity <= 0, no
-- non-product codes): customer is NULL for a guest checkout; item and order_id are strings
-- (CAST them: ids compare as bytes, as in the builder); ts is any type that orders in time
-- (TIMESTAMP, epoch integer, ISO-8601 text). One order has one customer.
--
-- Output: four views to write out, one file (or one directory of part files) each:
--
--   attune_items   item, customers, orders, pairs, next_pairs, next_mass_1..3
--   attune_pairs   item, other, customers            (item < other, customers >= 2)
--   attune_next    item, next_item, customers, mass_1..3   (customers >= 2)
--   attune_totals  customers, guest_orders, orders, registered_orders, registered_order_items, order_items
--
-- What each column means: docs/scale-out.md. The views named counts_* are steps, not output.
-- "Next" looks 3 orders ahead (the builder's default --next-steps). Masses are fixed point:
-- each order pair contributes FLOOR(2^32 / SQRT(|o_p| * |o_q|) + 0.5), summed as integers,
-- so the sums do not depend on the order an engine adds them in.

-- One row per order: its customer, its time (earliest line) and its distinct items.
CREATE OR REPLACE TEMPORARY VIEW counts_orders AS
SELECT order_id,
       MIN(customer) AS customer,
       MIN(ts) AS ts,
       COUNT(DISTINCT item) AS size
FROM orders
WHERE item IS NOT NULL AND order_id IS NOT NULL
GROUP BY order_id;

-- Distinct (order, item) with the order's customer.
CREATE OR REPLACE TEMPORARY VIEW counts_lines AS
SELECT DISTINCT l.order_id, l.item, o.customer
FROM orders l
JOIN counts_orders o ON l.order_id = o.order_id
WHERE l.item IS NOT NULL;

-- Distinct (unit, item): a unit is a registered customer, or one guest order.
CREATE OR REPLACE TEMPORARY VIEW counts_units AS
SELECT DISTINCT
       CASE WHEN customer IS NULL THEN CONCAT('g:', CAST(order_id AS STRING))
            ELSE CONCAT('c:', CAST(customer AS STRING)) END AS unit,
       item
FROM counts_lines;

-- Every unordered pair bought by one unit, with how many units bought both.
CREATE OR REPLACE TEMPORARY VIEW counts_pairs_all AS
SELECT a.item AS item, b.item AS other, COUNT(*) AS customers
FROM counts_units a
JOIN counts_units b ON a.unit = b.unit AND a.item < b.item
GROUP BY a.item, b.item;

-- Each registered customer's orders in time order (ties by order id).
CREATE OR REPLACE TEMPORARY VIEW counts_sequence AS
SELECT customer, order_id, size,
       ROW_NUMBER() OVER (PARTITION BY customer ORDER BY ts, order_id) AS position
FROM counts_orders
WHERE customer IS NOT NULL;

-- Every (item of o_p, item of o_(p+d)), 1 <= d <= 3, a <> c, with its fixed-point mass.
CREATE OR REPLACE TEMPORARY VIEW counts_next_lines AS
SELECT s.customer,
       la.item AS item,
       lc.item AS next_item,
       t.position - s.position AS step,
       CAST(FLOOR(CAST(1 AS DOUBLE) / SQRT(CAST(s.size AS DOUBLE) * CAST(t.size AS DOUBLE))
                  * 4294967296 + 0.5) AS BIGINT) AS mass
FROM counts_sequence s
JOIN counts_sequence t
  ON s.customer = t.customer AND t.position > s.position AND t.position <= s.position + 3
JOIN counts_lines la ON la.order_id = s.order_id
JOIN counts_lines lc ON lc.order_id = t.order_id
WHERE la.item <> lc.item;

CREATE OR REPLACE TEMPORARY VIEW counts_next_all AS
SELECT item, next_item,
       COUNT(DISTINCT customer) AS customers,
       SUM(CASE WHEN step = 1 THEN mass ELSE 0 END) AS mass_1,
       SUM(CASE WHEN step = 2 THEN mass ELSE 0 END) AS mass_2,
       SUM(CASE WHEN step = 3 THEN mass ELSE 0 END) AS mass_3
FROM counts_next_lines
GROUP BY item, next_item;

-- Output ------------------------------------------------------------------------------

-- Co-purchase supports: units (customers, guest orders) who bought both, at least 2 (the
-- least min-support the builder accepts; it filters further itself).
CREATE OR REPLACE TEMPORARY VIEW attune_pairs AS
SELECT item, other, customers
FROM counts_pairs_all
WHERE customers >= 2;

-- "Bought next_item within 3 orders after item": distinct customers, at least 2, and the
-- fixed-point mass of each step d (1, 2, 3 orders later).
CREATE OR REPLACE TEMPORARY VIEW attune_next AS
SELECT item, next_item, customers, mass_1, mass_2, mass_3
FROM counts_next_all
WHERE customers >= 2;

-- Per item: distinct buyers (units), orders holding it, pairs and next pairs seen (any
-- support) and its total next mass per step over every next pair (the builder divides by
-- it before the support filter, so it cannot be summed from attune_next).
CREATE OR REPLACE TEMPORARY VIEW attune_items AS
SELECT b.item,
       b.customers,
       b.orders,
       COALESCE(p.pairs, 0) AS pairs,
       COALESCE(n.next_pairs, 0) AS next_pairs,
       COALESCE(n.next_mass_1, 0) AS next_mass_1,
       COALESCE(n.next_mass_2, 0) AS next_mass_2,
       COALESCE(n.next_mass_3, 0) AS next_mass_3
FROM (SELECT u.item, u.customers, o.orders
      FROM (SELECT item, COUNT(*) AS customers FROM counts_units GROUP BY item) u
      JOIN (SELECT item, COUNT(*) AS orders FROM counts_lines GROUP BY item) o
        ON u.item = o.item) b
LEFT JOIN (SELECT item, COUNT(*) AS pairs FROM counts_pairs_all GROUP BY item) p
  ON b.item = p.item
LEFT JOIN (SELECT item, COUNT(*) AS next_pairs,
                  SUM(mass_1) AS next_mass_1, SUM(mass_2) AS next_mass_2,
                  SUM(mass_3) AS next_mass_3
           FROM counts_next_all GROUP BY item) n
  ON b.item = n.item;

-- One row: registered customers, guest orders, orders, and the distinct items summed over
-- registered orders and over all orders (the builder's mean order size).
CREATE OR REPLACE TEMPORARY VIEW attune_totals AS
SELECT COUNT(DISTINCT customer) AS customers,
       SUM(CASE WHEN customer IS NULL THEN 1 ELSE 0 END) AS guest_orders,
       COUNT(*) AS orders,
       SUM(CASE WHEN customer IS NULL THEN 0 ELSE 1 END) AS registered_orders,
       SUM(CASE WHEN customer IS NULL THEN 0 ELSE size END) AS registered_order_items,
       SUM(size) AS order_items
FROM counts_orders;
