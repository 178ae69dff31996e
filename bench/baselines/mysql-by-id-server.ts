// Baselines: bare Fastify + mysql2 answering one product by primary key (mysql-by-id), or a page of
// 20 products of one category (mysql-list: the app's list query, 21 rows read for the next cursor),
// on a pool the size of the app's.
import Fastify from 'fastify';
import { createPool } from 'mysql2/promise';

const pool = createPool({
  host: process.env.DB_HOST,
  port: Number(process.env.DB_PORT),
  user: process.env.DB_USER,
  password: process.env.DB_PASSWORD,
  database: process.env.DB_NAME,
  connectionLimit: Number(process.env.DB_POOL_SIZE),
  // The app's driver options (database.module.ts).
  timezone: 'Z',
  supportBigNumbers: true,
  bigNumberStrings: false,
});
const table = process.env.BASELINE_TABLE ?? 'products';

type ProductRow = { id: number; name: string; price: string; stock: number; category: string; status: string };

/** The app's product shape, with the explicit numeric conversion its row mapper does. */
function toProduct(row: ProductRow) {
  return {
    id: Number(row.id),
    name: row.name,
    price: Number(row.price),
    stock: Number(row.stock),
    category: row.category,
    status: row.status,
  };
}

const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  const [rows] = (await pool.query(`SELECT id, name, price, stock, category, status FROM ${table} WHERE id = ?`, [
    Number(request.params.id),
  ])) as [ProductRow[], unknown];
  if (rows.length === 0) return reply.code(404).send({ code: 'PRODUCT_NOT_FOUND' });
  return toProduct(rows[0]);
});
// The app's list statement (product.repository.ts) and page shape (cursor.ts), nothing else.
app.get<{ Querystring: { category: string; limit: string } }>('/products', async (request) => {
  const limit = Number(request.query.limit);
  const [rows] = (await pool.query(
    `SELECT id, name, price, stock, category, status FROM ${table} WHERE status = ? AND category = ? ORDER BY id DESC LIMIT ?`,
    ['ON_SALE', request.query.category, limit + 1],
  )) as [ProductRow[], unknown];
  const items = rows.slice(0, limit).map(toProduct);
  const more = rows.length > limit;
  return { items, nextCursor: more ? Buffer.from(`id:${items[items.length - 1].id}`).toString('base64url') : null };
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(
  () => process.send?.('ready'),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
