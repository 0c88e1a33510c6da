import { Foundation1795438628449 } from './1795438628449-Foundation';

/** Migrations in the order they apply; a new migration is added at the end. */
export const MIGRATIONS: Function[] = [Foundation1795438628449];
