import type { CustomerRepository } from '../../services/ports.js';
import type { Db } from './db.js';

export function customerRepository(db: Db): CustomerRepository {
  return {
    async create({ id, name, now }) {
      await db.query('INSERT INTO customers (id, name, created_at) VALUES ($1, $2, $3)', [id, name, now]);
    },
    async exists(id) {
      const { rows } = await db.query('SELECT 1 FROM customers WHERE id = $1', [id]);
      return rows.length > 0;
    },
  };
}
