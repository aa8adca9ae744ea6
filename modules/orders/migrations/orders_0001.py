"""Orders: sales reps, orders and their items, the status history, shipments, and the
results of each submission's checks.

The database guards what no write path may get wrong:
- an order number is unique per tenant and never handed out twice (`order_numbers`
  counts per tenant; a number is taken in the transaction that creates the order);
- an item's quantity is positive and its line total is the database's own product of
  quantity and unit price (`line_total`, generated), so no code path can store another;
- an order's status is one of the workflow's (`orders_status`), its version only grows;
- facility narrowing: a provider or facility manager sees only their facilities' orders,
  and the items, history, shipments and checks of those orders alone.

Revision ID: orders_0001
Revises: products_0002
Create Date: 2026-12-03
"""

from alembic import op

from migrations.rls import FACILITIES, tenant_table

revision = "orders_0001"
down_revision = "products_0002"
branch_labels = None
depends_on = None

STATUSES = (
    "draft",
    "submitted",
    "needs_attention",
    "pending_admin_review",
    "approved",
    "submitted_to_manufacturer",
    "confirmed",
    "shipped",
    "delivered",
    "rejected",
    "cancelled",
)
_IN = ", ".join(f"'{s}'" for s in STATUSES)
# A child row is visible when its order is: the order's own policies decide.
_BY_ORDER = "EXISTS (SELECT 1 FROM orders o WHERE o.id = {table}.order_id)"

SCHEMA = f"""
CREATE TABLE sales_reps (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  user_id uuid,
  name text NOT NULL,
  email text,
  phone text,
  employee_id text,
  territory text,
  commission_rate numeric(5,2) CHECK (commission_rate BETWEEN 0 AND 100),
  parent_share_percent numeric(5,2) CHECK (parent_share_percent BETWEEN 0 AND 100),
  parent_rep_id uuid,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, user_id),
  CHECK (parent_rep_id IS DISTINCT FROM id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_rep_id) REFERENCES sales_reps (tenant_id, id)
);

-- The last order number each tenant handed out; numbers are never reused.
CREATE TABLE order_numbers (
  tenant_id uuid PRIMARY KEY REFERENCES tenants(id),
  last_number bigint NOT NULL
);

CREATE TABLE orders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  order_number text NOT NULL,
  version integer NOT NULL DEFAULT 1 CHECK (version > 0),
  status text NOT NULL DEFAULT 'draft',
  type text NOT NULL DEFAULT 'standard' CHECK (type IN ('standard', 'rush', 'consignment', 'trial')),
  request_type text NOT NULL DEFAULT 'new_request'
    CHECK (request_type IN ('new_request', 'reverification', 'additional_applications')),
  organization_id uuid NOT NULL,
  facility_id uuid NOT NULL,
  provider_id uuid,
  patient_id uuid,
  sales_rep_id uuid,
  manufacturer_id uuid,
  service_date date,
  requested_delivery_date date,
  actual_delivery_date date,
  shipping_speed text CHECK (shipping_speed IN ('1st_am', 'early_next', 'standard_next', 'standard_2day')),
  delivery_instructions text,
  wound_length_cm numeric(6,2) CHECK (wound_length_cm > 0),
  wound_width_cm numeric(6,2) CHECK (wound_width_cm > 0),
  wound_depth_cm numeric(6,2) CHECK (wound_depth_cm >= 0),
  wound_area_cm2 numeric(10,2) GENERATED ALWAYS AS (round(wound_length_cm * wound_width_cm, 2)) STORED,
  previous_treatments jsonb NOT NULL DEFAULT '[]',
  treatment_duration_weeks integer CHECK (treatment_duration_weeks BETWEEN 0 AND 520),
  place_of_service text CHECK (place_of_service ~ '^[0-9]{{2}}$'),
  snf_status boolean NOT NULL DEFAULT false,
  snf_days integer CHECK (snf_days BETWEEN 0 AND 1000),
  hospice_status boolean NOT NULL DEFAULT false,
  part_a_status boolean NOT NULL DEFAULT false,
  global_period_status boolean NOT NULL DEFAULT false,
  global_period_cpt text,
  global_period_surgery_date date,
  payer_name text,
  payer_identifier text,
  payer_phone text,
  plan_type text
    CHECK (plan_type IN ('ffs', 'hmo', 'ppo', 'epo', 'pos', 'medicare_advantage', 'medicaid', 'other')),
  network_status text CHECK (network_status IN ('in_network', 'out_of_network', 'unknown')),
  subscriber_relationship text
    CHECK (subscriber_relationship IN ('self', 'spouse', 'child', 'other')),
  subscriber_name_enc bytea,
  subscriber_dob_enc bytea,
  provider_ptan text,
  facility_ptan text,
  mac_jurisdiction text,
  notes text,
  internal_notes text,
  metadata jsonb NOT NULL DEFAULT '{{}}',
  total_amount numeric(12,2) NOT NULL DEFAULT 0,
  item_count integer NOT NULL DEFAULT 0,
  expected_reimbursement numeric(12,2),
  attention_reasons text[] NOT NULL DEFAULT '{{}}',
  status_reason text,
  created_by_user_id uuid,
  submitted_at timestamptz,
  checked_at timestamptz,
  reviewed_at timestamptz,
  reviewed_by_user_id uuid,
  manufacturer_submitted_at timestamptz,
  confirmed_at timestamptz,
  shipped_at timestamptz,
  delivered_at timestamptz,
  closed_at timestamptz,
  queued_at timestamptz GENERATED ALWAYS AS (coalesce(submitted_at, created_at)) STORED,
  queue_action text GENERATED ALWAYS AS (
    CASE status WHEN 'pending_admin_review' THEN 'review'
                WHEN 'submitted_to_manufacturer' THEN 'track' ELSE 'view' END) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_status CHECK (status IN ({_IN})),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, order_number),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id),
  FOREIGN KEY (tenant_id, facility_id) REFERENCES facilities (tenant_id, id),
  FOREIGN KEY (tenant_id, provider_id) REFERENCES providers (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patients (tenant_id, id),
  FOREIGN KEY (tenant_id, sales_rep_id) REFERENCES sales_reps (tenant_id, id),
  FOREIGN KEY (tenant_id, manufacturer_id) REFERENCES manufacturers (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by_user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, reviewed_by_user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX orders_created ON orders (tenant_id, created_at, id);
CREATE INDEX orders_status ON orders (tenant_id, status, queued_at);
CREATE INDEX orders_facility ON orders (tenant_id, facility_id, created_at);
CREATE INDEX orders_patient ON orders (tenant_id, patient_id);
CREATE INDEX orders_provider ON orders (tenant_id, provider_id);
CREATE INDEX orders_sales_rep ON orders (tenant_id, sales_rep_id);
CREATE INDEX orders_service_date ON orders (tenant_id, service_date);

CREATE TABLE order_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  order_id uuid NOT NULL,
  product_id uuid NOT NULL,
  size_id uuid,
  quantity integer NOT NULL CHECK (quantity > 0 AND quantity <= 100000),
  unit_price numeric(12,2) CHECK (unit_price >= 0),
  line_total numeric(14,2) GENERATED ALWAYS AS (quantity * unit_price) STORED,
  product_name text NOT NULL,
  billing_code text,
  code_type text,
  size_label text,
  notes text,
  specifications jsonb NOT NULL DEFAULT '{{}}',
  position integer NOT NULL DEFAULT 0,
  level_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
  FOREIGN KEY (tenant_id, size_id) REFERENCES product_sizes (tenant_id, id),
  FOREIGN KEY (tenant_id, level_id) REFERENCES inventory_levels (tenant_id, id)
);
CREATE INDEX order_items_order ON order_items (tenant_id, order_id, position);

CREATE TABLE order_status_history (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  order_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  reason text,
  actor_user_id uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX order_status_history_order ON order_status_history (tenant_id, order_id, created_at);

CREATE TABLE shipments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  order_id uuid NOT NULL,
  carrier text NOT NULL,
  tracking_number text,
  shipped_at timestamptz NOT NULL,
  delivered_at timestamptz,
  document_urls text[] NOT NULL DEFAULT '{{}}',
  notes text,
  created_by_user_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  CHECK (delivered_at IS NULL OR delivered_at >= shipped_at),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX shipments_order ON shipments (tenant_id, order_id, created_at);
CREATE INDEX shipments_tracking ON shipments (tenant_id, tracking_number);

CREATE TABLE order_checks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  order_id uuid NOT NULL,
  round integer NOT NULL,
  check_key text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('pass', 'warn', 'fail')),
  reasons text[] NOT NULL DEFAULT '{{}}',
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, order_id, round, check_key),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
"""

TABLES = (
    "sales_reps",
    "order_numbers",
    "orders",
    "order_items",
    "order_status_history",
    "shipments",
    "order_checks",
)


def upgrade() -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            op.execute(statement)
    tenant_table("sales_reps")
    tenant_table("order_numbers", privileges="SELECT, INSERT, UPDATE")
    orders = f"facility_id = ANY({FACILITIES})"
    tenant_table("orders", scope=orders, privileges="SELECT, INSERT, UPDATE", planned=True)
    for table in ("order_items", "shipments"):
        tenant_table(table, scope=_BY_ORDER.format(table=table), planned=True)
    for table in ("order_status_history", "order_checks"):
        tenant_table(table, append_only=True, scope=_BY_ORDER.format(table=table), planned=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE {table}")
