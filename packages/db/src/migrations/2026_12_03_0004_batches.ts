import { type Kysely, sql } from 'kysely'

// Lead enrichment runs in batches and keeps `exhibitors.lead_count` by adding each lead when it is
// enriched for the first time, instead of recounting all of an exhibitor's leads per lead. The count
// is therefore the number of the exhibitor's enriched leads (all of them, once the worker caught
// up); it starts from that, and a statement-level trigger takes deleted enriched leads off again
// (leads go with their exhibitor or their attendee's position, by cascade), one UPDATE per
// statement, not per row.
// Frozen: never import application code here.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    update exhibitors e set lead_count = coalesce(c.n, 0)
    from exhibitors x left join (
      select exhibitor_id, count(*)::int as n from leads where enriched_at is not null group by exhibitor_id
    ) c on c.exhibitor_id = x.id
    where e.id = x.id`.execute(db)
  await sql`
    create function leads_deleted_uncount() returns trigger language plpgsql as $$
    begin
      update exhibitors e set lead_count = e.lead_count - g.n
      from (select exhibitor_id, count(*)::int as n from gone where enriched_at is not null group by exhibitor_id) g
      where e.id = g.exhibitor_id;
      return null;
    end
    $$`.execute(db)
  await sql`
    create trigger leads_deleted_uncount after delete on leads
    referencing old table as gone
    for each statement execute function leads_deleted_uncount()`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger leads_deleted_uncount on leads`.execute(db)
  await sql`drop function leads_deleted_uncount()`.execute(db)
  await sql`
    update exhibitors e set lead_count = (select count(*) from leads l where l.exhibitor_id = e.id)`.execute(db)
}
