/** Venues for tests. */

export const categories = [
  { key: 'A', label: 'Premium', price: 6500 },
  { key: 'B', label: 'Standard', price: 3500 },
];

/** Two sections, two categories, accessible seats given one by one, and a standing area. */
export const smallVenue = {
  name: 'Hamlet',
  currency: 'EUR',
  categories,
  sections: [
    {
      name: 'Stalls',
      rows: [
        { name: 'A', category: 'A', seats: [{ number: 1, accessible: true }, { number: 2 }, { number: 3 }] },
        { name: 'B', category: 'A', seats: 4 },
      ],
    },
    { name: 'Balcony', rows: [{ name: 'A', category: 'B', seats: 2 }] },
  ],
  areas: [{ name: 'Standing', category: 'B', capacity: 100 }],
};
