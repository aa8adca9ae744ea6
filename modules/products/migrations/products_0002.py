"""Products, what the database keeps by itself: category paths and the search.

- a category's `path` (its ancestors, then itself), set on insert and on a move, and
  rewritten for its descendants when it moves; a move under itself or a descendant is
  refused (`product_categories_no_cycle`);
- a product's search document and exact-match keys: name, SKU, code, manufacturer name
  and description, rewritten when any of them changes, the manufacturer's rename included,
  and copied to `product_search` for `product_search_matches()` (see that table).

Revision ID: products_0002
Revises: products_0001
Create Date: 2026-12-03
"""

from alembic import op

from migrations.rls import api_role

revision = "products_0002"
down_revision = "products_0001"
branch_labels = None
depends_on = None

SEARCH_TABLE = """
-- What a search matches, kept by a trigger (product_search_synced) and read only through
-- product_search_matches(). Row-level security would keep the GIN index out of use here:
-- `@@` is not leakproof, so PostgreSQL applies it only after the tenant policy, row by row.
-- The owner's function reads the table with the tenant filter written out instead, and the
-- API role has no privilege on it.
CREATE TABLE product_search (
  product_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  document tsvector NOT NULL,
  code_key text NOT NULL,
  sku_key text NOT NULL,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_search_document ON product_search USING gin (document);
CREATE INDEX product_search_keys ON product_search (tenant_id, code_key);
CREATE INDEX product_search_skus ON product_search (tenant_id, sku_key);
"""

TRIGGERS = r"""-- The category tree: a category's path is its parent's path, then itself.
CREATE FUNCTION product_category_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent_path uuid[];
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.path := ARRAY[NEW.id];
    RETURN NEW;
  END IF;
  SELECT path INTO parent_path FROM product_categories
   WHERE id = NEW.parent_id AND tenant_id = NEW.tenant_id;
  IF parent_path IS NULL THEN
    NEW.path := ARRAY[NEW.id];  -- the foreign key refuses the row
  ELSIF NEW.id = ANY (parent_path) THEN
    RAISE EXCEPTION 'a category cannot move under itself or one of its descendants'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'product_categories_no_cycle';
  ELSE
    NEW.path := parent_path || NEW.id;
  END IF;
  RETURN NEW;
END $$;
--
CREATE TRIGGER product_categories_path BEFORE INSERT OR UPDATE OF parent_id ON product_categories
  FOR EACH ROW EXECUTE FUNCTION product_category_path();
--
CREATE FUNCTION product_category_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_categories
     SET path = NEW.path || path[array_position(path, NEW.id) + 1:]
   WHERE tenant_id = NEW.tenant_id AND path @> ARRAY[NEW.id] AND id <> NEW.id;
  RETURN NULL;
END $$;
--
CREATE TRIGGER product_categories_moved AFTER UPDATE OF parent_id ON product_categories
  FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
  EXECUTE FUNCTION product_category_moved();
--
-- Identifiers are indexed whole, without punctuation, and in their parts; words in English.
CREATE FUNCTION product_search_document(p products, maker text) RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('simple',
           concat_ws(' ', product_search_key(p.sku), product_search_key(p.code),
                     regexp_replace(concat_ws(' ', p.sku, p.code), '[^A-Za-z0-9]+', ' ', 'g'))), 'A')
         || setweight(to_tsvector('english', p.name), 'A')
         || setweight(to_tsvector('english', coalesce(maker, '')), 'B')
         || setweight(to_tsvector('english', coalesce(p.description, '')), 'C')
$$;
--
CREATE FUNCTION product_searched() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_document := product_search_document(NEW, (
    SELECT name FROM manufacturers WHERE id = NEW.manufacturer_id AND tenant_id = NEW.tenant_id));
  RETURN NEW;
END $$;
--
CREATE TRIGGER products_search BEFORE INSERT OR UPDATE OF name, sku, code, description, manufacturer_id
  ON products FOR EACH ROW EXECUTE FUNCTION product_searched();
--
-- As the owner: the API role has no privilege on product_search (see its table).
CREATE FUNCTION product_search_synced() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO product_search (product_id, tenant_id, document, code_key, sku_key)
  VALUES (NEW.id, NEW.tenant_id, NEW.search_document, NEW.code_key, NEW.sku_key)
  ON CONFLICT (product_id) DO UPDATE
    SET document = EXCLUDED.document, code_key = EXCLUDED.code_key, sku_key = EXCLUDED.sku_key;
  RETURN NULL;
END $$;
--
CREATE TRIGGER products_search_synced
  AFTER INSERT OR UPDATE OF name, sku, code, description, manufacturer_id, search_document
  ON products FOR EACH ROW EXECUTE FUNCTION product_search_synced();
--
-- The products of the transaction's tenant a search matches: its words, or its text as a
-- whole code or SKU. The tenant filter is written out (the owner is not held by the
-- table's policy, which is not forced); callers read the products themselves under theirs.
CREATE FUNCTION product_search_matches(query tsquery, key text) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT product_id FROM product_search
   WHERE tenant_id = app_tenant_id()
     AND (document @@ query OR (key <> '' AND (code_key = key OR sku_key = key)))
$$;
--
CREATE FUNCTION manufacturer_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE products SET search_document = product_search_document(products, NEW.name)
   WHERE tenant_id = NEW.tenant_id AND manufacturer_id = NEW.id;
  RETURN NULL;
END $$;
--
CREATE TRIGGER manufacturers_search AFTER UPDATE OF name ON manufacturers
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION manufacturer_renamed();
"""


def upgrade() -> None:
    for statement in SEARCH_TABLE.split(";\n"):
        if statement.strip():
            op.execute(statement)
    for statement in TRIGGERS.split("\n--\n"):  # function bodies hold semicolons
        op.execute(statement)
    # Read only through product_search_matches(): a policy for anyone ever granted it, not
    # forced on the owner whose functions keep and read it; no privilege for the API role.
    op.execute("ALTER TABLE product_search ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON product_search "
        "USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())"
    )
    # Definer functions run as the owner: only what they are for may call them (a trigger
    # fires whatever its caller's privileges).
    op.execute("REVOKE EXECUTE ON FUNCTION product_search_synced() FROM PUBLIC")
    op.execute("REVOKE EXECUTE ON FUNCTION product_search_matches(tsquery, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION product_search_matches(tsquery, text) TO {api_role()}")


def downgrade() -> None:
    for trigger, table in (
        ("manufacturers_search", "manufacturers"),
        ("products_search_synced", "products"),
        ("products_search", "products"),
        ("product_categories_moved", "product_categories"),
        ("product_categories_path", "product_categories"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    op.execute("DROP TABLE product_search")
    for function in (
        "manufacturer_renamed()",
        "product_search_matches(tsquery, text)",
        "product_search_synced()",
        "product_searched()",
        "product_search_document(products, text)",
        "product_category_moved()",
        "product_category_path()",
    ):
        op.execute(f"DROP FUNCTION {function}")
