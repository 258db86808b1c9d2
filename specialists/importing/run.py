"""One import run: its options, its lookups and its report; it drives the stages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .parsing import Catalog, ProviderRow, row_parse
from .planning import BatchPlan, SeenNpis, batch_plan
from .reading import DataRows, Header, ImportFileError
from .report import ImportReport, RowRejection
from .writing import batch_write


@dataclass(kw_only=True)
class ImportRun:
    """An import in progress: how it was asked for, the lookups it keeps, its report."""

    report: ImportReport
    catalog: Catalog
    user: object = None
    source: str
    progress: Callable[[int], None] | None = None
    # Rows per transaction.
    batch_size: int
    seen: SeenNpis = field(default_factory=SeenNpis)

    @property
    def dry_run(self) -> bool:
        return self.report.dry_run

    def rows_import(self, rows: DataRows, header: Header) -> None:
        """Parse, plan and write ``rows`` batch by batch; ImportFileError (with the report)
        when a line could not be read, after writing the rows before it."""
        use_geocoder = not self.dry_run
        batch: list[ProviderRow] = []
        for line, values in rows:
            self.report.rows += 1
            row = row_parse(values, line, header, self.catalog, use_geocoder=use_geocoder)
            if isinstance(row, RowRejection):
                self.report.rejections.append(row)
                continue
            batch.append(row)
            if len(batch) >= self.batch_size:
                self._batch_import(batch)
                batch = []
                if self.progress:
                    self.progress(self.report.rows)
        if batch:
            self._batch_import(batch)
        if self.progress:
            self.progress(self.report.rows)
        if rows.failure:
            raise ImportFileError(rows.failure, report=self.report)

    def _batch_import(self, batch: list[ProviderRow]) -> None:
        plan = batch_plan(batch, seen=self.seen, catalog=self.catalog, source=self.source)
        self._count(plan)
        if not self.dry_run and plan.to_write:
            batch_write(plan, catalog=self.catalog, user=self.user, source=self.source)

    def _count(self, plan: BatchPlan) -> None:
        report = self.report
        report.created += plan.created
        report.updated += plan.updated
        report.unchanged += plan.unchanged
        report.institutes_created += len(plan.new_institutes)
        report.rejections += plan.rejections
