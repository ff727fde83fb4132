import { lowerStatement } from '../../parser/lower-statement';
import { standardCatalog } from './catalog';

const cat = standardCatalog();
const probes = (process.env.PROBES ?? '').split('\n').filter(Boolean);
test('probe', () => {
  for (const sql of probes) {
    try {
      const r = lowerStatement(sql, cat);
      console.log(
        sql,
        '\n=>',
        JSON.stringify(r.stmt, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
        JSON.stringify(r.params),
      );
    } catch (e) {
      console.log(
        sql,
        '\n=> ERR',
        (e as Error).constructor.name,
        (e as { code?: string }).code,
        (e as Error).message,
      );
    }
  }
});
