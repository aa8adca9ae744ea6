"""Products: manufacturers, the category tree, specialties, the catalog, inventory
locations, levels and the stock movements they are made of (products_0002 adds what the
database keeps by itself: category paths, search documents).

The constraints do part of the work, so no write path can get it wrong: a code has its
system's form (`products_code_format`), and an inventory level never holds less than it
has allocated, nor less than nothing (`inventory_levels_quantities`): a reservation that
would oversell fails here even if the service's conditional update were wrong.

Revision ID: products_0001
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

from migrations.rls import tenant_table

revision = "products_0001"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = (
    "manufacturers",
    "manufacturer_settings",
    "manufacturer_contacts",
    "product_categories",
    "specialties",
    "products",
    "product_sizes",
    "product_specialties",
    "inventory_locations",
    "inventory_levels",
    "stock_movements",
)

NDC = (
    "^([0-9]{4}-[0-9]{4}-[0-9]{2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{5}-[0-9]{4}-[0-9]"
    "|[0-9]{5}-[0-9]{4}-[0-9]{2}|[0-9]{11})$"
)

SCHEMA = f"""
-- The exact-match key of a code or SKU: letters and digits, lower case.
CREATE FUNCTION product_search_key(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN lower(regexp_replace(coalesce(value, ''), '[^A-Za-z0-9]+', '', 'g'));

CREATE TABLE manufacturers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  type text NOT NULL DEFAULT 'manufacturer'
    CHECK (type IN ('manufacturer', 'distributor', 'pharmacy', 'compounding')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'onboarding', 'suspended', 'inactive')),
  email text,
  phone text,
  website text,
  contact_info jsonb NOT NULL DEFAULT '{{}}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);

-- One row per manufacturer, its id the manufacturer's.
CREATE TABLE manufacturer_settings (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  submission_method text NOT NULL DEFAULT 'email'
    CHECK (submission_method IN ('email', 'api', 'portal', 'edi', 'fax')),
  submission_config jsonb NOT NULL DEFAULT '{{}}',
  primary_contacts text[] NOT NULL DEFAULT '{{}}',
  cc_contacts text[] NOT NULL DEFAULT '{{}}',
  verification_required boolean NOT NULL DEFAULT false,
  verification_type text
    CHECK (verification_type IN ('insurance', 'prior_auth', 'medical_necessity', 'license')),
  verification_frequency text
    CHECK (verification_frequency IN ('per_order', 'weekly', 'monthly', 'quarterly', 'annual')),
  verification_documents text[] NOT NULL DEFAULT '{{}}',
  onboarding_documents text[] NOT NULL DEFAULT '{{}}',
  requires_owner_signature boolean NOT NULL DEFAULT false,
  minimum_order_amount numeric(12,2) CHECK (minimum_order_amount >= 0),
  lead_time_days integer NOT NULL DEFAULT 1 CHECK (lead_time_days BETWEEN 0 AND 365),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, id) REFERENCES manufacturers (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE manufacturer_contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  manufacturer_id uuid NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('order', 'verification', 'support')),
  primary_recipients text[] NOT NULL DEFAULT '{{}}',
  cc_recipients text[] NOT NULL DEFAULT '{{}}',
  notes text,
  updated_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, manufacturer_id, purpose),
  FOREIGN KEY (tenant_id, manufacturer_id) REFERENCES manufacturers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

CREATE TABLE product_categories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  parent_id uuid,
  type text NOT NULL DEFAULT 'supplies'
    CHECK (type IN ('wound_care', 'orthopedic', 'pharmaceutical', 'dme', 'supplies', 'other')),
  description text,
  path uuid[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE NULLS NOT DISTINCT (tenant_id, parent_id, name),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES product_categories (tenant_id, id)
);
CREATE INDEX product_categories_path ON product_categories USING gin (path);

CREATE TABLE specialties (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  code text NOT NULL,
  name text NOT NULL,
  restricted_access boolean NOT NULL DEFAULT false,
  validation_rules jsonb NOT NULL DEFAULT '{{}}',
  form_templates jsonb NOT NULL DEFAULT '{{}}',
  workflow_overrides jsonb NOT NULL DEFAULT '{{}}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code)
);

CREATE TABLE products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  manufacturer_id uuid,
  category_id uuid,
  name text NOT NULL,
  sku text NOT NULL,
  code text,
  code_type text,
  type text NOT NULL DEFAULT 'supply' CHECK (type IN ('device', 'drug', 'biologic', 'supply', 'equipment')),
  description text,
  specifications jsonb NOT NULL DEFAULT '{{}}',
  pricing jsonb NOT NULL DEFAULT '{{}}',
  national_asp numeric(12,2) CHECK (national_asp >= 0),
  price_per_cm2 numeric(12,4) CHECK (price_per_cm2 >= 0),
  commission_rate numeric(5,2) CHECK (commission_rate BETWEEN 0 AND 100),
  graph_type text,
  image_url text,
  document_urls text[] NOT NULL DEFAULT '{{}}',
  requires_prescription boolean NOT NULL DEFAULT false,
  requires_verification boolean NOT NULL DEFAULT false,
  is_active boolean NOT NULL DEFAULT true,
  metadata jsonb NOT NULL DEFAULT '{{}}',
  search_document tsvector NOT NULL DEFAULT ''::tsvector,
  code_key text GENERATED ALWAYS AS (product_search_key(code)) STORED,
  sku_key text GENERATED ALWAYS AS (product_search_key(sku)) STORED,
  price_sort numeric(12,2) GENERATED ALWAYS AS (coalesce(national_asp, 0)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, sku),
  CONSTRAINT products_code_format CHECK (
    (code IS NULL) = (code_type IS NULL) AND (code IS NULL OR CASE code_type
      WHEN 'hcpcs' THEN code ~ '^[A-Z][0-9]{{4}}$'
      WHEN 'ndc' THEN code ~ '{NDC}'
      WHEN 'upn' THEN code ~ '^([0-9]{{12,14}}|[+][A-Z][A-Z0-9]{{3}}[A-Z0-9]{{1,18}})$'
      WHEN 'custom' THEN code ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{{0,49}}$'
      ELSE false END)
  ),
  FOREIGN KEY (tenant_id, manufacturer_id) REFERENCES manufacturers (tenant_id, id),
  FOREIGN KEY (tenant_id, category_id) REFERENCES product_categories (tenant_id, id)
);
CREATE INDEX products_manufacturer ON products (tenant_id, manufacturer_id);
CREATE INDEX products_category ON products (tenant_id, category_id);
CREATE INDEX products_name ON products (tenant_id, name);
CREATE INDEX products_search ON products USING gin (search_document);

CREATE TABLE product_sizes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  product_id uuid NOT NULL,
  label text NOT NULL,
  width_cm numeric(8,2) CHECK (width_cm > 0),
  length_cm numeric(8,2) CHECK (length_cm > 0),
  area_cm2 numeric(10,2) CHECK (area_cm2 > 0),
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, product_id, label),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE product_specialties (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  product_id uuid NOT NULL,
  specialty_id uuid NOT NULL,
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, product_id, specialty_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, specialty_id) REFERENCES specialties (tenant_id, id)
);
CREATE UNIQUE INDEX product_specialties_one_primary ON product_specialties (tenant_id, product_id)
  WHERE is_primary;
CREATE INDEX product_specialties_specialty ON product_specialties (tenant_id, specialty_id);

CREATE TABLE inventory_locations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  type text NOT NULL DEFAULT 'warehouse' CHECK (type IN ('warehouse', 'consignment', 'trunk_stock')),
  facility_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name),
  FOREIGN KEY (tenant_id, facility_id) REFERENCES facilities (tenant_id, id)
);

CREATE TABLE inventory_levels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  product_id uuid NOT NULL,
  location_id uuid NOT NULL,
  on_hand integer NOT NULL DEFAULT 0,
  allocated integer NOT NULL DEFAULT 0,
  available integer GENERATED ALWAYS AS (on_hand - allocated) STORED,
  reorder_point integer NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
  reorder_quantity integer NOT NULL DEFAULT 0 CHECK (reorder_quantity >= 0),
  last_counted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, product_id, location_id),
  CONSTRAINT inventory_levels_quantities CHECK (on_hand >= 0 AND allocated >= 0 AND allocated <= on_hand),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES inventory_locations (tenant_id, id)
);
CREATE INDEX inventory_levels_location ON inventory_levels (tenant_id, location_id);

CREATE TABLE stock_movements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  level_id uuid NOT NULL,
  product_id uuid NOT NULL,
  location_id uuid NOT NULL,
  kind text NOT NULL
    CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'shipment', 'return')),
  on_hand_change integer NOT NULL,
  allocated_change integer NOT NULL,
  on_hand_after integer NOT NULL,
  allocated_after integer NOT NULL,
  reason text,
  reference text,
  actor_user_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, level_id) REFERENCES inventory_levels (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES inventory_locations (tenant_id, id)
);
CREATE INDEX stock_movements_level ON stock_movements (tenant_id, level_id, created_at);
-- A movement with a reference (an order's item, say) happens once: a retry finds it.
CREATE UNIQUE INDEX stock_movements_reference ON stock_movements (tenant_id, level_id, kind, reference)
  WHERE reference IS NOT NULL;
"""


def upgrade() -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            op.execute(statement)
    for table in TABLES:
        if table == "stock_movements":
            tenant_table(table, append_only=True)
        else:
            tenant_table(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP FUNCTION product_search_key(text)")
