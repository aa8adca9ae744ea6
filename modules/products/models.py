"""Tables of the products module (SQLAlchemy Core; the DDL is in migrations/products_0001.py).

Queries select plain rows from these tables. `product_categories.path`,
`inventory_levels.available` and the search columns of `products` are kept by the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from app.tables import created_at, deactivated_at, id_column, internal, tenant_column, timestamps

metadata = sa.MetaData()


def _json(name: str) -> sa.Column:
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))


def _texts(name: str) -> sa.Column:
    return sa.Column(name, ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]"))


def _flag(name: str, default: bool = False) -> sa.Column:
    return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.text(str(default).lower()))


def _ref(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


manufacturers = sa.Table(
    "manufacturers",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False, server_default=sa.text("'manufacturer'::text")),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("website", sa.Text),
    _json("contact_info"),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "name"),
)

manufacturer_settings = sa.Table(
    "manufacturer_settings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),  # the manufacturer's id
    tenant_column(),
    sa.Column("submission_method", sa.Text, nullable=False, server_default=sa.text("'email'::text")),
    _json("submission_config"),
    _texts("primary_contacts"),
    _texts("cc_contacts"),
    _flag("verification_required"),
    sa.Column("verification_type", sa.Text),
    sa.Column("verification_frequency", sa.Text),
    _texts("verification_documents"),
    _texts("onboarding_documents"),
    _flag("requires_owner_signature"),
    sa.Column("minimum_order_amount", sa.Numeric(12, 2)),
    sa.Column("lead_time_days", sa.Integer, nullable=False, server_default=sa.text("1")),
    *timestamps(),
)

manufacturer_contacts = sa.Table(
    "manufacturer_contacts",
    metadata,
    id_column(),
    tenant_column(),
    _ref("manufacturer_id", nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    _texts("primary_recipients"),
    _texts("cc_recipients"),
    sa.Column("notes", sa.Text),
    _ref("updated_by"),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "manufacturer_id", "purpose"),
)

product_categories = sa.Table(
    "product_categories",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("name", sa.Text, nullable=False),
    _ref("parent_id"),
    sa.Column("type", sa.Text, nullable=False, server_default=sa.text("'supplies'::text")),
    sa.Column("description", sa.Text),
    sa.Column("path", ARRAY(UUID(as_uuid=True)), nullable=False),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "parent_id", "name", postgresql_nulls_not_distinct=True),
    sa.Index("product_categories_path", "path", postgresql_using="gin"),
)

specialties = sa.Table(
    "specialties",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    _flag("restricted_access"),
    _json("validation_rules"),
    _json("form_templates"),
    _json("workflow_overrides"),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "code"),
)

products = sa.Table(
    "products",
    metadata,
    id_column(),
    tenant_column(),
    _ref("manufacturer_id"),
    _ref("category_id"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("sku", sa.Text, nullable=False),
    sa.Column("code", sa.Text),
    sa.Column("code_type", sa.Text),
    sa.Column("type", sa.Text, nullable=False, server_default=sa.text("'supply'::text")),
    sa.Column("description", sa.Text),
    _json("specifications"),
    _json("pricing"),
    sa.Column("national_asp", sa.Numeric(12, 2)),
    sa.Column("price_per_cm2", sa.Numeric(12, 4)),
    sa.Column("commission_rate", sa.Numeric(5, 2)),
    sa.Column("graph_type", sa.Text),
    sa.Column("image_url", sa.Text),
    _texts("document_urls"),
    _flag("requires_prescription"),
    _flag("requires_verification"),
    _flag("is_active", True),
    _json("metadata"),
    # Kept by the database for search: not read by the API's row readers (see app/tables.py).
    internal(sa.Column("search_document", TSVECTOR, nullable=False, server_default=sa.text("''::tsvector"))),
    sa.Column("code_key", sa.Text, sa.Computed("product_search_key(code)", persisted=True)),
    sa.Column("sku_key", sa.Text, sa.Computed("product_search_key(sku)", persisted=True)),
    # Lists sort on a NOT NULL key: a product without an ASP sorts as priced 0.
    sa.Column("price_sort", sa.Numeric(12, 2), sa.Computed("coalesce(national_asp, 0)", persisted=True)),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "sku"),
    sa.Index("products_manufacturer", "tenant_id", "manufacturer_id"),
    sa.Index("products_category", "tenant_id", "category_id"),
    sa.Index("products_name", "tenant_id", "name"),
    sa.Index("products_search", "search_document", postgresql_using="gin"),
)

# Kept by a trigger and read only through product_search_matches() (see the migration):
# what a search matches, with the GIN index row-level security would keep out of use.
product_search = sa.Table(
    "product_search",
    metadata,
    sa.Column("product_id", UUID(as_uuid=True), primary_key=True),
    tenant_column(),
    sa.Column("document", TSVECTOR, nullable=False),
    sa.Column("code_key", sa.Text, nullable=False),
    sa.Column("sku_key", sa.Text, nullable=False),
    sa.Index("product_search_document", "document", postgresql_using="gin"),
    sa.Index("product_search_keys", "tenant_id", "code_key"),
    sa.Index("product_search_skus", "tenant_id", "sku_key"),
)

product_sizes = sa.Table(
    "product_sizes",
    metadata,
    id_column(),
    tenant_column(),
    _ref("product_id", nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("width_cm", sa.Numeric(8, 2)),
    sa.Column("length_cm", sa.Numeric(8, 2)),
    sa.Column("area_cm2", sa.Numeric(10, 2)),
    sa.Column("position", sa.Integer, nullable=False, server_default=sa.text("0")),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "product_id", "label"),
)

product_specialties = sa.Table(
    "product_specialties",
    metadata,
    id_column(),
    tenant_column(),
    _ref("product_id", nullable=False),
    _ref("specialty_id", nullable=False),
    _flag("is_primary"),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "product_id", "specialty_id"),
    sa.Index(
        "product_specialties_one_primary",
        "tenant_id",
        "product_id",
        unique=True,
        postgresql_where=sa.text("is_primary"),
    ),
    sa.Index("product_specialties_specialty", "tenant_id", "specialty_id"),
)

inventory_locations = sa.Table(
    "inventory_locations",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False, server_default=sa.text("'warehouse'::text")),
    _ref("facility_id"),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "name"),
)

inventory_levels = sa.Table(
    "inventory_levels",
    metadata,
    id_column(),
    tenant_column(),
    _ref("product_id", nullable=False),
    _ref("location_id", nullable=False),
    sa.Column("on_hand", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("allocated", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("available", sa.Integer, sa.Computed("on_hand - allocated", persisted=True)),
    sa.Column("reorder_point", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("reorder_quantity", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_counted_at", sa.DateTime(timezone=True)),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "product_id", "location_id"),
    sa.Index("inventory_levels_location", "tenant_id", "location_id"),
)

stock_movements = sa.Table(
    "stock_movements",
    metadata,
    id_column(),
    tenant_column(),
    _ref("level_id", nullable=False),
    _ref("product_id", nullable=False),
    _ref("location_id", nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("on_hand_change", sa.Integer, nullable=False),
    sa.Column("allocated_change", sa.Integer, nullable=False),
    sa.Column("on_hand_after", sa.Integer, nullable=False),
    sa.Column("allocated_after", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("reference", sa.Text),
    _ref("actor_user_id"),
    created_at(),
    sa.Index("stock_movements_level", "tenant_id", "level_id", "created_at"),
    sa.Index(
        "stock_movements_reference",
        "tenant_id",
        "level_id",
        "kind",
        "reference",
        unique=True,
        postgresql_where=sa.text("reference IS NOT NULL"),
    ),
)
