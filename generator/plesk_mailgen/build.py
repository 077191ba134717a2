"""Build the operation model of one protocol version from xsdata's classes.

The one place that reads xsdata's class model. It walks each operator of the
lock from its two root types, names things (through ``naming``), lifts
``filter`` wrappers, turns empty elements into flags, leaves out the
elements the lock omits, records non-repeated choices for validation, and
refuses two different types that would share a Python name. Operators share
the builder of their version, so a type both use (``resultType``) is one class.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from xsdata.codegen.models import Attr, Class

from .errors import GeneratorError
from .loading import ChoiceElement
from .model import (
    Choice,
    Enum,
    EnumValue,
    Field,
    FieldType,
    Operation,
    Protocol,
    Struct,
    bases_first,
)
from .naming import (
    Overrides,
    check_identifier,
    check_type_name,
    constant,
    pascal,
    plural,
    snake,
    words,
)
from .scalars import SCALARS
from .schemalock import LockedOperator, LockedVersion

RESULT_SOURCE = "resultType"
UNBOUNDED = sys.maxsize


@dataclass
class _Lifted:
    """Fields and choices of one class, before they become a Struct."""

    fields: list[Field]
    choices: list[Choice]


def build_protocol(
    version: LockedVersion,
    classes: list[Class],
    overrides: Overrides,
    optional_in_choice: frozenset[ChoiceElement] = frozenset(),
) -> Protocol:
    """The operation model of one version, every operator of the lock in it.

    Built from each operator's two root types outwards, one referenced class at
    a time, so the types of other operators that the included files declare
    (``phpSettings``, ``dbServerInput``, ...) and of operations not generated
    are never visited. ``optional_in_choice`` (from ``loading``) tells which
    choice branches may stay empty.
    """
    return _Builder(version, classes, overrides, optional_in_choice).run()


_Element = tuple[tuple[str, ...], Attr, Class]
"""An operation element: its path below the operator, the attribute, its owner."""


class _Builder:
    def __init__(
        self,
        version: LockedVersion,
        classes: list[Class],
        overrides: Overrides,
        optional_in_choice: frozenset[ChoiceElement],
    ):
        self.version = version
        self.overrides = overrides
        self.optional_in_choice = optional_in_choice
        self.by_qname = {cls.qname: cls for cls in classes}
        self.by_name = {cls.name: cls for cls in classes}
        self.structs: dict[str, Struct] = {}
        self.enums: dict[str, Enum] = {}
        self.built: dict[int, str] = {}
        self.in_progress: dict[int, str] = {}
        self.omit = frozenset(o for op in version.operators for o in op.omit)
        self.omitted: set[str] = set()
        self.method_names: dict[str, str] = {}
        """Python name of each operation -> its operator."""

    # -- operations -------------------------------------------------------

    def run(self) -> Protocol:
        operations = [
            operation
            for operator in self.version.operators
            for operation in self._operator(operator)
        ]
        return Protocol(
            version=self.version.protocol,
            module=self.version.module,
            plesk=self.version.plesk,
            operations=tuple(operations),
            structs=bases_first(sorted(self.structs.values(), key=lambda s: s.name)),
            enums=tuple(sorted(self.enums.values(), key=lambda e: e.name)),
            operators=tuple(op.element for op in self.version.operators),
            schema_pins=dict(sorted(self.version.files.items())),
            omitted=frozenset(self.omitted),
        )

    def _operator(self, operator: LockedOperator) -> list[Operation]:
        """The operations of one operator that the lock asks for, in schema order."""
        requests = self._operation_elements(operator.request)
        responses = self._operation_elements(operator.response)
        names = self._chosen(operator, requests, responses)
        built = {
            side: {
                path: self._element_struct(
                    attr, owner, root, path, pascal(names[path]) + side
                )
                for path, (_, attr, owner) in elements.items()
                if path in names
            }
            for side, root, elements in (
                ("Request", operator.request, requests),
                ("Response", operator.response, responses),
            )
        }
        return [
            self._operation(
                name,
                operator.element,
                path,
                self.structs[built["Request"][path]],
                self.structs[built["Response"][path]],
            )
            for path, name in names.items()
        ]

    def _chosen(
        self,
        operator: LockedOperator,
        requests: dict[tuple[str, ...], _Element],
        responses: dict[tuple[str, ...], _Element],
    ) -> dict[tuple[str, ...], str]:
        """The Python name of each operation to build, by path, checked."""
        where = f"{self.version.protocol}: operator <{operator.element}>"
        chosen = set(operator.operations)
        unknown = chosen - {schema_name(path) for path in requests}
        if unknown:
            known = ", ".join(schema_name(path) for path in requests)
            raise GeneratorError(
                f"{where}: no operation {sorted(unknown)[0]!r} in {operator.request}"
                f" (it has {known})"
            )
        names = {
            path: check_identifier(
                self.overrides.method_name(operator.element, schema_name(path)),
                f"{operator.element}/{'/'.join(path)}",
            )
            for path in requests
            if not chosen or schema_name(path) in chosen
        }
        for path in names.keys() - responses.keys():
            raise GeneratorError(
                f"{where}: operation {'/'.join(path)} has a request but no response "
                f"in {operator.response}"
            )
        if not chosen:
            for path in responses.keys() - requests.keys():
                raise GeneratorError(
                    f"{where}: operation {'/'.join(path)} has a response but no "
                    f"request in {operator.request}"
                )
        for name in names.values():
            self._claim(name, operator.element)
        return names

    def _claim(self, name: str, operator: str) -> None:
        """Refuse a Python name another operator's operation has already."""
        other = self.method_names.setdefault(name, operator)
        if other != operator:
            raise GeneratorError(
                f"{self.version.protocol}: operation {name!r} of <{operator}> has the "
                f"Python name of one of <{other}>; name one of them under [methods] "
                f"in {self.overrides.path}"
            )

    def _operation(
        self,
        name: str,
        operator: str,
        path: tuple[str, ...],
        request: Struct,
        response: Struct,
    ) -> Operation:
        results = [f for f in response.fields if f.tag == "result"]
        result = results[0] if len(results) == 1 else None
        in_choices = {n for c in request.choices for b in c.branches for n in b}
        # A list that is one branch of a choice (a site filter's ids or names)
        # is not the operation's batch: the others could not be split with it.
        batch = next(
            (f for f in request.fields if f.repeated and f.name not in in_choices),
            None,
        )
        return Operation(
            name=name,
            operator=operator,
            path=path,
            request=request.name,
            response=response.name,
            result_field=result.name if result else None,
            result_type=result.type.ref if result else None,
            results_repeated=bool(result and result.repeated),
            batch_field=batch.name if batch else None,
            results_per_item=bool(
                batch and batch.min_items >= 1 and result and result.repeated
            ),
        )

    def _operation_elements(self, root_name: str) -> dict[tuple[str, ...], _Element]:
        """Each operation element under a root type, by path; nothing built yet."""
        if root_name not in self.by_name:
            raise GeneratorError(
                f"{self.version.protocol}: schema declares no complex type {root_name!r}"
            )
        root = self.by_name[root_name]
        found: dict[tuple[str, ...], _Element] = {}
        for attr in root.attrs:
            self._require_element(attr, root_name)
            inner = self._inner_class(attr, root)
            variants = self._single_choice(inner) if inner is not None else None
            if inner is not None and variants is not None:
                for sub in variants:
                    found[(attr.name, sub.name)] = ((attr.name, sub.name), sub, inner)
            else:
                found[(attr.name,)] = ((attr.name,), attr, root)
        return found

    def _single_choice(self, cls: Class) -> list[Attr] | None:
        """The alternatives, if ``cls`` is nothing but one required choice of elements."""
        if not cls.attrs or cls.extensions:
            return None
        keys = {
            tuple(a.restrictions.path[-1][:2]) for a in cls.attrs if a.restrictions.path
        }
        if len(keys) != 1 or any(len(a.restrictions.path) != 1 for a in cls.attrs):
            return None
        kind, _, low, high = cls.attrs[0].restrictions.path[0]
        if kind != "c" or low < 1 or high != 1:
            return None
        if any(
            self._inner_class(a, cls) is None and self._named_class(a) is None
            for a in cls.attrs
        ):
            return None
        return list(cls.attrs)

    def _element_struct(
        self,
        attr: Attr,
        owner: Class,
        root_name: str,
        path: tuple[str, ...],
        default: str,
    ) -> str:
        source = "/".join((root_name, *path))
        named = self._named_class(attr)
        if named is not None and not self._is_flag_class(named):
            return self._struct(named, named.name, self._default_type_name(named.name))
        inner = self._inner_class(attr, owner)
        if inner is not None:
            return self._struct(inner, source, default)
        # An element without content, such as <get-available-mail-providers/>.
        name = check_identifier(self.overrides.type_name(source, default), source)
        return self._register_struct(Struct(name=name, fields=(), sources=(source,)))

    # -- structs ----------------------------------------------------------

    def _struct(self, cls: Class, source: str, default: str) -> str:
        if id(cls) in self.built:
            return self.built[id(cls)]
        if id(cls) in self.in_progress:  # a type that contains itself
            return self.in_progress[id(cls)]
        name = check_identifier(self.overrides.type_name(source, default), source)
        base_name: str | None = None
        inherited: list[Field] = []
        for ext in cls.extensions:
            base_cls = self._class_by_qname(ext.type.qname, source)
            base_name = self._struct(
                base_cls, base_cls.name, self._default_type_name(base_cls.name)
            )
            inherited = list(self.structs[base_name].fields)
        self.in_progress[id(cls)] = name
        own = self._collect(cls, name, source)
        struct = Struct(
            name=name,
            fields=tuple(inherited + own.fields),
            base=base_name,
            choices=tuple(self.structs[base_name].choices if base_name else ())
            + tuple(own.choices),
            doc=_clean_doc(cls.help),
            sources=(source,),
            is_result=source == RESULT_SOURCE
            or (base_name is not None and self.structs[base_name].is_result),
            inherited_count=len(inherited),
        )
        _check_unique_fields(struct)
        self.built[id(cls)] = name
        return self._register_struct(struct)

    def _register_struct(self, struct: Struct) -> str:
        check_type_name(struct.name, struct.sources[0])
        known = self.structs.get(struct.name)
        if known is None:
            self.structs[struct.name] = struct
        elif known.signature() != struct.signature():
            raise GeneratorError(
                f"{self.version.protocol}: name clash: {struct.name!r} is used for "
                f"{known.sources[0]} and for {struct.sources[0]}, which differ; give one "
                f"of them another name under [types] in {self.overrides.path}"
            )
        else:
            self.structs[struct.name] = replace(
                known, sources=known.sources + struct.sources
            )
        return struct.name

    def _collect(self, cls: Class, struct_name: str, source: str) -> _Lifted:
        """Fields of ``cls``'s own attributes, with ``inline`` wrappers lifted."""
        fields: list[Field] = []
        lifted_choices: list[Choice] = []
        branches: dict[int, tuple[int, dict[object, list[str]]]] = {}
        emptiable: set[str] = set()
        for attr in cls.attrs:
            self._require_element(attr, source)
            if self._omitted(attr, cls, source):
                continue
            lifted = self._lifted(attr, cls, struct_name, source)
            if lifted is not None:
                fields.extend(lifted.fields)
                lifted_choices.extend(lifted.choices)
                continue
            item = self._field(attr, cls, struct_name, source)
            fields.append(item)
            self._note_choices(attr, item.name, branches, emptiable)
        required = {item.name: item.required or item.min_items > 0 for item in fields}
        choices = [
            Choice(
                # One branch must be used unless some branch may stay empty.
                required=low >= 1
                and not any(
                    (len(b) > 1 and not any(required[n] for n in b))
                    or (len(b) == 1 and b[0] in emptiable)
                    for b in by_branch.values()
                ),
                branches=tuple(tuple(b) for b in by_branch.values()),
            )
            for low, by_branch in branches.values()
        ]
        return _Lifted(fields, choices + lifted_choices)

    def _omitted(self, attr: Attr, owner: Class, source: str) -> bool:
        """Whether the lock leaves this element out (it must be optional)."""
        sources = {f"{source}/{attr.name}"}
        if self.by_qname.get(owner.qname) is owner:  # a named type, however reached
            sources.add(f"{owner.name}/{attr.name}")
        matched = sources & self.omit
        if not matched:
            return False
        if (attr.restrictions.min_occurs or 0) > 0:
            raise GeneratorError(
                f"{self.version.protocol}: {sorted(matched)[0]} is required by the "
                "schema and cannot be omitted"
            )
        self.omitted |= matched
        return True

    def _collect_with_bases(self, cls: Class, struct_name: str, source: str) -> _Lifted:
        """Fields of ``cls`` after those of every base it extends, outermost first."""
        lifted = _Lifted([], [])
        for ext in cls.extensions:
            base = self._class_by_qname(ext.type.qname, source)
            got = self._collect_with_bases(base, struct_name, base.name)
            lifted.fields += got.fields
            lifted.choices += got.choices
        got = self._collect(cls, struct_name, source)
        lifted.fields += got.fields
        lifted.choices += got.choices
        return lifted

    def _note_choices(
        self,
        attr: Attr,
        field_name: str,
        branches: dict[int, tuple[int, dict[object, list[str]]]],
        emptiable: set[str],
    ) -> None:
        """Record the field in the branches of the choices around it.

        A field directly in a choice whose element may occur zero times is an
        ``emptiable`` branch: it lets the whole choice stay empty.
        """
        path = attr.restrictions.path
        for index, (kind, ident, low, high) in enumerate(path):
            if kind != "c" or high != 1:
                continue
            branch = path[index + 1][1] if index + 1 < len(path) else field_name
            branches.setdefault(ident, (low, {}))[1].setdefault(branch, []).append(
                field_name
            )
            if branch == field_name and (ident, attr.name) in self.optional_in_choice:
                emptiable.add(field_name)

    def _lifted(
        self, attr: Attr, owner: Class, struct_name: str, source: str
    ) -> _Lifted | None:
        """Children of an ``inline`` wrapper element, as fields of the enclosing class."""
        if attr.name not in self.overrides.inline:
            return None
        target = self._inner_class(attr, owner) or self._named_class(attr)
        if target is None or self._is_flag_class(target):
            return None
        low, high = attr.restrictions.min_occurs, attr.restrictions.max_occurs
        if low not in (0, 1) or high != 1:
            raise GeneratorError(
                f"{source}/{attr.name}: an inline wrapper must occur at most once"
            )
        inner_source = f"{source}/{attr.name}"
        lifted = self._collect_with_bases(target, struct_name, inner_source)
        for item in lifted.fields:
            if item.wrapper is not None:
                raise GeneratorError(f"{inner_source}: inline wrappers cannot nest")
            if low == 0 and (item.required or item.min_items > 0):
                raise GeneratorError(
                    f"{inner_source}: an optional inline wrapper must hold only "
                    f"optional elements; {item.tag!r} is required"
                )
        lifted.fields = [
            replace(f, wrapper=attr.name, optional_wrapper=low == 0)
            for f in lifted.fields
        ]
        return lifted

    def _field(self, attr: Attr, owner: Class, struct_name: str, source: str) -> Field:
        low = attr.restrictions.min_occurs or 0
        high = (
            attr.restrictions.max_occurs
            if attr.restrictions.max_occurs is not None
            else 1
        )
        repeated = high > 1
        default = plural(snake(attr.name)) if repeated else snake(attr.name)
        name = self.overrides.field_name(struct_name, attr.name, default)
        return Field(
            name=check_identifier(name, f"{source}/{attr.name}"),
            tag=attr.name,
            type=self._field_type(attr, owner, f"{source}/{attr.name}"),
            required=low >= 1 and not repeated,
            repeated=repeated,
            min_items=low if repeated else 0,
            max_items=None if high >= UNBOUNDED or not repeated else high,
            secret=self.overrides.is_secret(struct_name, attr.name),
            doc=_clean_doc(attr.help),
        )

    def _field_type(self, attr: Attr, owner: Class, source: str) -> FieldType:
        if len(attr.types) != 1:
            raise GeneratorError(f"{source}: union types are not supported")
        attr_type = attr.types[0]
        collapse = attr.restrictions.white_space == "collapse"
        if attr_type.native:
            local = attr_type.qname.rsplit("}", 1)[-1]
            if local == "anyType":
                return FieldType(kind="flag")
            if local not in SCALARS:
                raise GeneratorError(f"{source}: XSD type {local!r} is not supported")
            scalar, min_value, max_value = SCALARS[local]
            facets = attr.restrictions
            text = scalar == "str"
            return FieldType(
                kind="scalar",
                scalar=scalar,  # type: ignore[arg-type]
                collapse=collapse and text,
                min_value=min_value,
                max_value=max_value,
                min_length=(
                    _positive(facets.length or facets.min_length) if text else None
                ),
                max_length=(facets.length or facets.max_length) if text else None,
            )
        target = self._inner_class(attr, owner) or self._named_class(attr)
        if target is None:
            raise GeneratorError(f"{source}: type {attr_type.qname!r} is not declared")
        if target.is_enumeration:
            return FieldType(kind="enum", ref=self._enum(target), collapse=True)
        if self._is_flag_class(target):
            return FieldType(kind="flag")
        if attr_type.forward:
            ref = self._struct(target, source, self._anonymous_name(attr.name, owner))
        else:
            ref = self._struct(
                target, target.name, self._default_type_name(target.name)
            )
        return FieldType(kind="struct", ref=ref)

    def _anonymous_name(self, tag: str, owner: Class) -> str:
        """``result`` inside ``FooResponse`` is ``FooResult``; others take the tag."""
        owner_name = self.built.get(id(owner)) or self.in_progress.get(id(owner))
        if tag == "result" and owner_name is not None:
            return owner_name.removesuffix("Response") + "Result"
        return pascal(tag)

    # -- enums ------------------------------------------------------------

    def _enum(self, cls: Class) -> str:
        source = cls.name
        name = check_type_name(
            self.overrides.type_name(source, self._default_type_name(source)), source
        )
        values = tuple(
            EnumValue(name=constant(str(attr.default)), value=str(attr.default))
            for attr in cls.attrs
        )
        enum = Enum(
            name=name, values=values, doc=_clean_doc(cls.help), sources=(source,)
        )
        known = self.enums.get(name)
        if known is not None and known.signature() != enum.signature():
            raise GeneratorError(
                f"{self.version.protocol}: name clash: enum {name!r} is used for "
                f"{known.sources[0]} and {source}, which differ; rename one under "
                f"[types] in {self.overrides.path}"
            )
        self.enums[name] = enum
        return name

    # -- lookups ----------------------------------------------------------

    def _require_element(self, attr: Attr, source: str) -> None:
        if attr.tag != "Element":
            raise GeneratorError(
                f"{source}/{attr.name}: schema construct {attr.tag!r} is not supported"
            )

    @staticmethod
    def _inner_class(attr: Attr, owner: Class) -> Class | None:
        if len(attr.types) != 1 or not attr.types[0].forward:
            return None
        for inner in owner.inner:
            if inner.qname == attr.types[0].qname:
                return inner
        return None

    def _named_class(self, attr: Attr) -> Class | None:
        if len(attr.types) != 1 or attr.types[0].native or attr.types[0].forward:
            return None
        return self.by_qname.get(attr.types[0].qname)

    def _class_by_qname(self, qname: str, source: str) -> Class:
        if qname not in self.by_qname:
            raise GeneratorError(f"{source}: base type {qname!r} is not declared")
        return self.by_qname[qname]

    @staticmethod
    def _is_flag_class(cls: Class) -> bool:
        return not cls.attrs and not cls.extensions and not cls.is_enumeration

    @staticmethod
    def _default_type_name(schema_name: str) -> str:
        parts = words(schema_name)
        if len(parts) > 1 and parts[-1] == "type":
            parts = parts[:-1]
        return "".join(p.capitalize() for p in parts)


def _positive(value: int | None) -> int | None:
    """A minimum length that says something (``minLength="0"`` says nothing)."""
    return value or None


def schema_name(path: tuple[str, ...]) -> str:
    """An operation's name in the schema, as the lock lists it: ``update_add``."""
    return snake("_".join(path))


def _check_unique_fields(struct: Struct) -> None:
    seen: dict[str, Field] = {}
    for item in struct.fields:
        if item.name in seen:
            raise GeneratorError(
                f"{struct.sources[0]}: elements {seen[item.name].tag!r} and {item.tag!r} "
                f"both become attribute {item.name!r}; rename one under [fields]"
            )
        seen[item.name] = item


def _clean_doc(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.split()) or None
