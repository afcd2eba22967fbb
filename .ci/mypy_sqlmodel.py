"""A mypy plugin: a field of a SQLModel table, read on the class, is a column.

SQLModel declares a table's fields as plain annotations (`sent_at: datetime | None`), so
mypy types `Invitation.sent_at` as `datetime | None`: `Invitation.sent_at > now` becomes a
`bool`, `Invitation.id.in_(ids)` an attribute error, and `select(Invitation.id)` matches no
overload. At run time the class attribute is SQLAlchemy's `InstrumentedAttribute`. This
plugin gives class-level access to a field of a `table=True` model that type, as SQLAlchemy's
own `Mapped[T]` declarations would; reading the field on an instance keeps its declared type.
A primary key declared `int | None` (None until the insert) is an `int` column: a key read
back from a table is never NULL.
It is the one exception the type check makes for SQLModel (pyproject.toml, [tool.mypy]).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import AssignmentStmt, CallExpr, NameExpr, TypeInfo, Var
from mypy.plugin import AttributeContext, ClassDefContext, Plugin
from mypy.types import (
    CallableType,
    Instance,
    NoneType,
    Type,
    TypeType,
    UnionType,
    get_proper_type,
)

_SQLMODEL = "sqlmodel.main.SQLModel"
_COLUMN = "sqlalchemy.orm.attributes.InstrumentedAttribute"
_KEY = "voc-sqlmodel-columns"  # what a class declared, kept in mypy's cache with the class


def _is_true(expression: object) -> bool:
    return isinstance(expression, NameExpr) and expression.name == "True"


def _record(ctx: ClassDefContext) -> None:
    """Note whether a SQLModel class is a table, and which fields are primary keys."""
    info = ctx.cls.info
    if not info.has_base(_SQLMODEL) or info.fullname == _SQLMODEL:
        return
    keys = []
    for statement in ctx.cls.defs.body:
        if not isinstance(statement, AssignmentStmt) or not isinstance(statement.rvalue, CallExpr):
            continue
        call = statement.rvalue
        named = zip(call.arg_names, call.args, strict=True)
        if any(name == "primary_key" and _is_true(value) for name, value in named):
            keys += [t.name for t in statement.lvalues if isinstance(t, NameExpr)]
    table = _is_true(ctx.cls.keywords.get("table"))
    info.metadata[_KEY] = {"table": table, "primary_keys": keys}


def _is_table(info: TypeInfo) -> bool:
    return any(k.metadata.get(_KEY, {}).get("table") for k in info.mro)


def _accessed_class(ctx: AttributeContext) -> TypeInfo | None:
    owner = get_proper_type(ctx.type)
    if isinstance(owner, CallableType) and owner.is_type_obj():
        return owner.type_object()
    if isinstance(owner, TypeType) and isinstance(owner.item, Instance):
        return owner.item.type
    return None


def _not_none(value: Type) -> Type:
    union = get_proper_type(value)
    if not isinstance(union, UnionType):
        return value
    items = [t for t in union.items if not isinstance(get_proper_type(t), NoneType)]
    return UnionType.make_union(items)


def _as_column(column: TypeInfo, primary_key: bool) -> Callable[[AttributeContext], Type]:
    def hook(ctx: AttributeContext) -> Type:
        info = _accessed_class(ctx)
        if ctx.is_lvalue or info is None or not _is_table(info):
            return ctx.default_attr_type
        value = ctx.default_attr_type
        # `id: int | None = Field(default=None, primary_key=True)`: None only before the
        # insert; a key read back from the table is never NULL.
        return Instance(column, [_not_none(value) if primary_key else value])

    return hook


class SQLModelColumns(Plugin):
    def get_customize_class_mro_hook(
        self, fullname: str
    ) -> Callable[[ClassDefContext], None] | None:
        return _record

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        owner_name, _, attribute = fullname.rpartition(".")
        if attribute.startswith("_"):
            return None
        owner = self.lookup_fully_qualified(owner_name)
        if owner is None or not isinstance(owner.node, TypeInfo) or _KEY not in owner.node.metadata:
            return None
        info = owner.node
        field = info.names.get(attribute)
        if field is None or not isinstance(field.node, Var) or field.node.is_classvar:
            return None
        column = self.lookup_fully_qualified(_COLUMN)
        if column is None or not isinstance(column.node, TypeInfo):
            return None
        return _as_column(column.node, attribute in info.metadata[_KEY]["primary_keys"])


def plugin(version: str) -> type[Plugin]:
    return SQLModelColumns
