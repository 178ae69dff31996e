// Baseline: bare Fastify + mysql2 answering one product by primary key, on a pool the size of the app's.
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

const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  const [rows] = (await pool.query(`SELECT id, name, price, stock, category, status FROM ${table} WHERE id = ?`, [
    Number(request.params.id),
  ])) as [Array<{ id: number; name: string; price: string; stock: number; category: string; status: string }>, unknown];
  if (rows.length === 0) return reply.code(404).send({ code: 'PRODUCT_NOT_FOUND' });
  const [row] = rows;
  return {
    id: Number(row.id),
    name: row.name,
    price: Number(row.price),
    stock: Number(row.stock),
    category: row.category,
    status: row.status,
  };
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(
  () => process.send?.('ready'),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
