/**
 * Resource embedding through supabase-js with PostgREST's (v12/v13) rules: a foreign-key
 * constraint name as a one-to-many target, self-references both ways, many-to-many through a
 * junction, relationships through views, computed fields and relationships, spreads of to-one and to-many, `rel()` left out of the output, a duplicate embed
 * (42712), and ordering by an embedded to-one column (PGRST118 for to-many).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, closeSql, eventually, sql } from './helpers.ts';

const anon = client();

beforeAll(async () => {
	await sql(`
		create table public.re_collections (id int primary key, name text, parent_id int references public.re_collections (id));
		insert into public.re_collections values (1, 'root', null), (2, 'child a', 1), (3, 'child b', 1);
		create table public.re_authors (id int primary key, name text);
		insert into public.re_authors values (1, 'Ann'), (2, 'Bob'), (3, 'Cy');
		create table public.re_books (id int primary key, title text,
			author_id int constraint re_books_author_fk references public.re_authors (id));
		insert into public.re_books values (1, 'A1', 1), (2, 'A2', 1), (3, 'B1', 2);
		create table public.re_tags (id int primary key, label text);
		insert into public.re_tags values (1, 'red'), (2, 'blue');
		create table public.re_book_tags (book_id int references public.re_books (id), tag_id int references public.re_tags (id),
			primary key (book_id, tag_id));
		insert into public.re_book_tags values (1, 1), (1, 2), (3, 2);
		create function public.re_shout(public.re_books) returns text language sql stable as $$ select $1.title || '!' $$;
		create function public.re_works(public.re_authors) returns setof public.re_books language sql stable
			as $$ select * from public.re_books where author_id = $1.id $$;
		create function public.re_writer(public.re_books) returns public.re_authors language sql stable
			as $$ select * from public.re_authors where id = $1.author_id $$;
		create view public.re_books_v as select id, title, author_id as writer from public.re_books;
		grant select on public.re_books_v to anon;
		grant select on public.re_collections, public.re_authors, public.re_books, public.re_tags, public.re_book_tags to anon;
		notify pgrst, 'reload schema';`);
	await eventually(
		async () => {
			const { error } = await anon.from('re_book_tags').select('book_id');
			return error ? undefined : true;
		},
		5000,
		'the fixtures never reached the schema cache'
	);
});

afterAll(async () => {
	await sql(`drop function public.re_shout(public.re_books), public.re_works(public.re_authors), public.re_writer(public.re_books);
		drop view public.re_books_v;
		drop table public.re_book_tags, public.re_tags, public.re_books, public.re_authors, public.re_collections;`);
	await closeSql();
});

describe('relationships', () => {
	it('a foreign-key constraint name embeds the one-to-many side', async () => {
		const { data, error } = await anon
			.from('re_authors')
			.select('name, re_books_author_fk(title)')
			.eq('id', 1)
			.order('title', { referencedTable: 're_books_author_fk' });
		expect(error).toBeNull();
		expect(data).toEqual([{ name: 'Ann', re_books_author_fk: [{ title: 'A1' }, { title: 'A2' }] }]);
	});

	it('a self-reference embeds children by table name and the parent by column or hint', async () => {
		const [children, parent, hinted] = await Promise.all([
			anon
				.from('re_collections')
				.select('name, re_collections(name)')
				.eq('id', 1)
				.order('id', { referencedTable: 're_collections' }),
			anon.from('re_collections').select('name, parent:parent_id(name)').eq('id', 2),
			anon.from('re_collections').select('name, kids:re_collections!parent_id(id)').eq('id', 1)
		]);
		expect(children.data).toEqual([
			{ name: 'root', re_collections: [{ name: 'child a' }, { name: 'child b' }] }
		]);
		expect(parent.data).toEqual([{ name: 'child a', parent: { name: 'root' } }]);
		expect(hinted.data?.[0].kids).toHaveLength(2);
	});

	it('many-to-many through a junction table', async () => {
		const { data, error } = await anon
			.from('re_books')
			.select('title, re_tags(label)')
			.order('id')
			.order('id', { referencedTable: 're_tags' });
		expect(error).toBeNull();
		expect(data).toEqual([
			{ title: 'A1', re_tags: [{ label: 'red' }, { label: 'blue' }] },
			{ title: 'A2', re_tags: [] },
			{ title: 'B1', re_tags: [{ label: 'blue' }] }
		]);
	});
});

describe('relationships through views', () => {
	it('a view showing a foreign key embeds both ways under its own column names', async () => {
		const [fromView, toView] = await Promise.all([
			anon.from('re_books_v').select('title, re_authors(name)').eq('id', 3),
			anon.from('re_authors').select('name, re_books_v(title, writer)').eq('id', 2)
		]);
		expect(fromView).toMatchObject({ error: null, data: [{ title: 'B1', re_authors: { name: 'Bob' } }] });
		expect(toView).toMatchObject({
			error: null,
			data: [{ name: 'Bob', re_books_v: [{ title: 'B1', writer: 2 }] }]
		});
	});
});

describe('computed fields and relationships', () => {
	it('a function of the row is a column to select, filter and order by', async () => {
		const { data, error } = await anon
			.from('re_books')
			.select('title, re_shout')
			.like('re_shout', 'A*')
			.order('re_shout', { ascending: false });
		expect(error).toBeNull();
		expect(data).toEqual([
			{ title: 'A2', re_shout: 'A2!' },
			{ title: 'A1', re_shout: 'A1!' }
		]);
	});

	it('a function of the row returning rows embeds them (to-many for SETOF, else to-one)', async () => {
		const [works, writer] = await Promise.all([
			anon.from('re_authors').select('name, re_works(title)').eq('id', 2),
			anon.from('re_books').select('title, re_writer(name)').eq('id', 1)
		]);
		expect(works.data).toEqual([{ name: 'Bob', re_works: [{ title: 'B1' }] }]);
		expect(writer.data).toEqual([{ title: 'A1', re_writer: { name: 'Ann' } }]);
	});
});

describe('output shapes', () => {
	it('spreads a to-one embed into the row, and a to-many one as arrays', async () => {
		const toOne = await anon.from('re_books').select('title, ...re_authors(author:name)').eq('id', 3);
		expect(toOne.data).toEqual([{ title: 'B1', author: 'Bob' }]);
		const toMany = await anon
			.from('re_authors')
			.select('name, ...re_books(title)')
			.in('id', [1, 3])
			.order('id')
			.order('title', { referencedTable: 're_books' });
		expect(toMany.data).toEqual([
			{ name: 'Ann', title: ['A1', 'A2'] },
			{ name: 'Cy', title: [] }
		]);
	});

	it('an empty embed filters without appearing in the output', async () => {
		const { data, error } = await anon
			.from('re_books')
			.select('title, re_authors!inner()')
			.eq('re_authors.name', 'Bob');
		expect(error).toBeNull();
		expect(data).toEqual([{ title: 'B1' }]);
	});

	it('the same embed twice is 42712, as Postgres answers PostgREST', async () => {
		const { error, status } = await anon.from('re_books').select('title, re_authors(name), re_authors(id)');
		expect(status).toBe(400);
		expect(error).toEqual({
			code: '42712',
			message: 'table name "re_books_re_authors_1" specified more than once',
			details: null,
			hint: null
		});
	});

	it('orders by a column of an embedded to-one resource, not of a to-many one', async () => {
		const { data } = await anon
			.from('re_books')
			.select('title, re_authors(name)')
			.order('re_authors(name)', { ascending: false })
			.order('title');
		expect(data!.map((b) => b.title)).toEqual(['B1', 'A1', 'A2']);
		const { error, status } = await anon
			.from('re_authors')
			.select('name, re_books(title)')
			.order('re_books(title)');
		expect(status).toBe(400);
		expect(error).toEqual({
			code: 'PGRST118',
			message: "A related order on 're_books' is not possible",
			details: "'re_authors' and 're_books' do not form a many-to-one or one-to-one relationship",
			hint: null
		});
	});
});
