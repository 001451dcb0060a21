import type { Change, ChangeFeed, ChangeTopic } from '../types.js';
import { num, type SqlContext } from './context.js';

export class SqlChangeFeed implements ChangeFeed {
  constructor(private readonly ctx: SqlContext) {}

  async latest(): Promise<number> {
    const r = await this.ctx.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return r?.seq === null || r?.seq === undefined ? 0 : num(r.seq);
  }

  async since(seq: number, limit = 1000): Promise<Change[]> {
    const rows = await this.ctx.db.selectFrom('changes').selectAll().where('seq', '>', seq).orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({ seq: num(r.seq), topic: r.topic as ChangeTopic, key: r.key, at: num(r.at) }));
  }

  onCommit(listener: () => void): () => void {
    return this.ctx.commits.on(listener);
  }

  async prune(olderThan: number): Promise<number> {
    const res = await this.ctx.db.deleteFrom('changes').where('at', '<', olderThan).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
